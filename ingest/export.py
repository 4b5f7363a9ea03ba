"""``ingest export``: the Lab's CSV data exports into the same landing as the API. No HTTP.

Exports hold answer labels where the API holds indices. Each label is mapped back to its index
through the workflow version the classification was made under (from the workflows export,
or versions already landed), so export and API rows of one classification land alike and the
dbt models need no second path. Files are streamed through DuckDB: memory stays bounded
whatever the export's size. A row that cannot be read or mapped is set aside in
``raw/rejected/source=export/`` with its reason and never guessed; the rows around it land.
"""

from __future__ import annotations

import csv
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ingest import records
from ingest.landing import CLASSIFICATIONS, REJECTED, SUBJECTS, WORKFLOW_VERSIONS, Landing
from ingest.progress import Progress

log = logging.getLogger(__name__)

UNKNOWN_PROJECT = 0
BATCH_ROWS = 20_000  # converted rows handed from DuckDB to the writers at a time
QUESTION_TASKS = ("single", "multiple", "shortcut")
CLASSIFICATION_COLUMNS = ("classification_id", "workflow_id", "workflow_version", "created_at",
                          "annotations", "subject_ids")  # fmt: skip
SUBJECT_COLUMNS = ("subject_id", "metadata")

_TASK_MAP = pa.map_(
    pa.string(),
    pa.struct([("task_type", pa.string()), ("label_index", pa.map_(pa.string(), pa.int64()))]),
)


class ExportError(ValueError):
    """An export file that cannot be loaded at all (missing, or without the needed columns)."""


@dataclass
class ExportSummary:
    classifications: int = 0
    already_landed: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    subjects: int = 0
    workflow_versions: int = 0
    rows_read: int = 0
    files: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        rate = self.rows_read / self.seconds if self.seconds else 0.0
        lines = [
            "ingest export:",
            f"  rows read             {self.rows_read:>10,}",
            f"  new classifications   {self.classifications:>10,}",
            f"  already landed        {self.already_landed:>10,}",
            f"  new subjects          {self.subjects:>10,}",
            f"  new workflow versions {self.workflow_versions:>10,}",
            f"  rejected rows         {sum(self.rejected.values()):>10,}",
            f"  files landed          {self.files:>10,}",
            f"  seconds               {self.seconds:>10.1f}   ({rate:,.0f} rows/s)",
        ]
        if self.rejected:
            lines.append("  set aside under raw/rejected/source=export/, most common reasons:")
            lines += [f"    {n:>8,}  {reason}" for reason, n in self.rejected.most_common(5)]
        return lines


def load_exports(
    landing: Landing,
    classifications: Path | None = None,
    workflows: Path | None = None,
    subjects: Path | None = None,
    project_id: int | None = None,
    progress: Progress | None = None,
    memory_limit: str = "2GB",
) -> ExportSummary:
    """Land what the given export files hold that the landing does not."""
    started = time.monotonic()
    progress = progress or Progress()
    summary = ExportSummary()
    for path in (classifications, workflows, subjects):
        if path is not None and not Path(path).is_file():
            raise ExportError(f"no such export file: {path}")
    landing.remove_stale_temp_files()
    with duckdb.connect(config={"threads": 2, "memory_limit": memory_limit}) as con:
        con.execute("set preserve_insertion_order = false")
        if workflows is not None:
            _land_workflow_versions(landing, Path(workflows), summary)
        if subjects is not None:
            _land_subject_export(con, landing, Path(subjects), summary)
        if classifications is not None:
            _land_classifications(
                con, landing, Path(classifications), project_id, progress, summary
            )
            if _subjects_missing(landing):
                _land_subjects_from_subject_data(con, landing, Path(classifications), summary)
    progress.finish()
    summary.seconds = time.monotonic() - started
    return summary


# -- workflows export ------------------------------------------------------------------------


def _land_workflow_versions(landing: Landing, path: Path, summary: ExportSummary) -> None:
    rows = _read_small_csv(path, required=("workflow_id", "version", "minor_version", "tasks"))
    known = landing.landed_version_numbers()
    ingested_at = _now()
    converted, rejects = records.convert_all(
        rows, lambda row: records.workflow_export_row(row, ingested_at)
    )
    with landing.writer(WORKFLOW_VERSIONS) as landed, landing.writer(REJECTED) as rejected:
        for row in converted:
            number = (row["workflow_id"], row["major_number"], row["minor_number"])
            if number not in known:
                known.add(number)
                landed.extend([row])
        rejected.extend(
            records.rejected_row("workflow_version", row, reason, None, None, ingested_at, "export")
            for row, reason in rejects
        )
    summary.workflow_versions += landed.rows_written
    summary.rejected.update(reason for _, reason in rejects)
    summary.files += len(landed.files_written) + len(rejected.files_written)


# -- classifications export ------------------------------------------------------------------


def _land_classifications(
    con: duckdb.DuckDBPyConnection,
    landing: Landing,
    path: Path,
    project_id: int | None,
    progress: Progress,
    summary: ExportSummary,
) -> None:
    """Convert the export and land it in one streamed pass.

    DuckDB reads, checks and converts the rows (each with its disposition) and hands them over
    in Arrow batches; each batch's new rows go to their partitions' files and the rows set
    aside to ``raw/rejected/``, through the same writers as the API's pages (a file lands
    every ``ROWS_PER_FILE`` rows; a run stopped midway resumes past what landed). Memory stays
    bounded by one batch and one row group per open partition.
    """
    columns = _columns(path)
    _require(path, columns, CLASSIFICATION_COLUMNS)
    con.register("versions", _version_task_maps(landing))
    con.register("workflow_projects", _workflow_projects(landing, project_id))
    landed_ids = [str(p) for p in landing.files(CLASSIFICATIONS)]
    params: dict[str, Any] = {
        "path": str(path),
        "ingested_at": _now(),
        "default_project": UNKNOWN_PROJECT if project_id is None else project_id,
    }
    if landed_ids:
        params["landed"] = landed_ids
    sql = _classification_sql(columns, has_landed=bool(landed_ids))
    unknown_project_workflows: set[int] = set()
    progress.start(f"converting {path.name}")
    batches = con.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
    with landing.writer(CLASSIFICATIONS) as landed, landing.writer(REJECTED) as rejected:
        for batch in batches:
            rows = pa.Table.from_batches([batch])
            disposition = rows["disposition"]
            new = rows.filter(pc.equal(disposition, "land"))
            landed.write(new)
            set_aside = rows.filter(pc.equal(disposition, "reject"))
            rejected.write(set_aside)
            summary.rejected.update(set_aside["reason"].to_pylist())
            summary.already_landed += pc.sum(pc.equal(disposition, "landed")).as_py() or 0
            unknown = new.filter(pc.equal(new["project_id"], UNKNOWN_PROJECT))
            unknown_project_workflows.update(pc.unique(unknown["workflow_id"]).to_pylist())
            summary.rows_read += rows.num_rows
            progress.advance(rows=rows.num_rows)
            log.debug(
                "%s: %d rows converted (%d to land, %d set aside)",
                path.name, rows.num_rows, new.num_rows, set_aside.num_rows,
            )  # fmt: skip
        progress.finish()
        unreadable = _csv_rejects(con, path)
        rejected.write(unreadable)
        summary.rejected.update(unreadable["reason"].to_pylist())
    summary.classifications += landed.rows_written
    summary.files += len(landed.files_written) + len(rejected.files_written)
    for workflow in sorted(unknown_project_workflows):
        log.warning(
            "workflow %d has no classifications landed by the API to tell its project: "
            "landed under project_id=%d (pass --project-id to say which)",
            workflow,
            UNKNOWN_PROJECT,
        )


def _classification_sql(columns: list[str], has_landed: bool) -> str:
    """One statement: read, check, map labels to indices, and say what happens to each row."""
    optional = {
        "user_id": "user_id",
        "metadata": "metadata",
    }
    select_optional = ",\n".join(
        f"{name} as {alias}" if name in columns else f"null::varchar as {alias}"
        for name, alias in optional.items()
    )
    already = (
        "classification_id_number in "
        "(select landed.classification_id from read_parquet($landed) as landed)"
        if has_landed
        else "false"
    )
    return f"""
with source as (
    select
        *,
        to_json(csv_row) as raw
    from {_read_csv_sql("$path", columns)} as csv_row
),

typed as (
    select
        raw,
        {select_optional},
        try_cast(classification_id as bigint) as classification_id_number,
        classification_id as classification_id_text,
        try_cast(workflow_id as bigint) as workflow_id,
        workflow_version,
        try_cast(split_part(workflow_version, '.', 1) as bigint) as major,
        try_cast(split_part(workflow_version, '.', 2) as bigint) as minor,
        list_transform(
            string_split(coalesce(subject_ids, ''), ';'), lambda s: try_cast(trim(s) as bigint)
        ) as subject_id_list,
        coalesce(subject_ids, '') as subject_ids_text,
        try_strptime(created_at, '%Y-%m-%d %H:%M:%S UTC') as created_at,
        created_at as created_at_text,
        annotations,
        coalesce(json_type(try_cast(annotations as json)) = 'ARRAY', false) as annotations_ok
    from source
),

with_versions as (
    select
        typed.*,
        versions.task_maps,
        -- each annotation with its task's definition and its value's JSON type, looked up
        -- once here rather than in every expression below
        case when annotations_ok then list_transform(
            from_json(try_cast(annotations as json), '[{{"task": "VARCHAR", "value": "JSON"}}]'),
            lambda a: struct_pack(
                task := a.task,
                value := a.value,
                kind := json_type(a.value),
                label := case when json_type(a.value) = 'VARCHAR' then a.value ->> '$' end,
                labels := case
                    when json_type(a.value) = 'ARRAY' then from_json(a.value, '["VARCHAR"]')
                end,
                definition := versions.task_maps[a.task]
            )
        ) end as annotation_list
    from typed
    left join versions
        on
            typed.workflow_id = versions.workflow_id
            and typed.major = versions.major
            and typed.minor = versions.minor
),

checked as (
    select
        *,
        {_annotation_problems_sql()} as annotation_problems,
        case
            when classification_id_number is null
                or classification_id_number::varchar <> trim(classification_id_text)
                then 'classification_id is not an integer id: '
                || coalesce(left(classification_id_text, 40), 'missing')
            when workflow_id is null then 'workflow_id is not an integer id'
            when major is null or minor is null
                then 'workflow_version is not major.minor: '
                || coalesce(workflow_version, 'missing')
            when coalesce(trim(user_id), '') <> '' and try_cast(user_id as bigint) is null
                then 'user_id is not an integer id: ' || left(user_id, 40)
            when subject_ids_text = '' then 'classification has no subject'
            when list_contains(subject_id_list, null)
                then 'subject_ids holds a value that is not an integer id: ' || subject_ids_text
            when created_at is null
                then 'created_at is not "YYYY-MM-DD HH:MM:SS UTC": '
                || coalesce(created_at_text, 'missing')
            when not annotations_ok then 'annotations is not a JSON list'
            when metadata is not null and try_cast(metadata as json) is null
                then 'metadata is not valid JSON'
            when task_maps is null
                then 'workflow ' || workflow_id || ' version ' || workflow_version
                || ' is in neither the workflows export nor the landing'
        end as row_problem
    from with_versions
)

select
    case
        when coalesce(row_problem, annotation_problems[1]) is not null then 'reject'
        when {already} then 'landed'
        else 'land'
    end as disposition,
    coalesce(row_problem, annotation_problems[1]) as reason,
    'classification' as entity,
    classification_id_number as classification_id,
    classification_id_number as entity_id,
    coalesce(workflow_projects.project_id, $default_project) as project_id,
    checked.workflow_id,
    workflow_version,
    try_cast(user_id as bigint) as user_id,
    subject_id_list as subject_ids,
    created_at,
    to_json(list_transform(annotation_list, lambda a: struct_pack(
        task := a.task, value := {_value_as_index_sql("a")}
    )))::varchar as annotations,
    coalesce(try_cast(metadata as json), '{{}}'::json)::varchar as metadata,
    raw::varchar as raw,
    'export' as source,
    $ingested_at as ingested_at
from checked
left join workflow_projects on checked.workflow_id = workflow_projects.workflow_id
"""


def _value_as_index_sql(annotation: str) -> str:
    """An annotation value with labels turned into indices; other tasks' values unchanged."""
    task = f"{annotation}.definition"
    value = f"{annotation}.value"
    kind = f"{annotation}.kind"
    return f"""case
        when {task}.task_type is null or {task}.task_type not in {QUESTION_TASKS}
            then {value}
        when {value} is null or {kind} = 'NULL' then 'null'::json
        when {kind} = 'VARCHAR'
            then to_json({task}.label_index[{annotation}.label])
        when {kind} = 'ARRAY'
            then to_json(list_transform(
                {annotation}.labels, lambda label: {task}.label_index[label]
            ))
        else {value}
    end"""


def _annotation_problems_sql() -> str:
    """Reasons an annotation cannot be mapped: a task the version lacks, a label it lacks."""
    task = "a.definition"
    return f"""list_filter(list_transform(annotation_list, lambda a: case
        when task_maps is null then null
        when {task} is null
            then 'task ' || coalesce(a.task, '(none)') || ' is not in workflow '
            || workflow_id || ' version ' || workflow_version
        when {task}.task_type not in {QUESTION_TASKS} then null
        when a.kind = 'VARCHAR' and {task}.label_index[a.label] is null
            then a.task || ' answer is not a label of workflow ' || workflow_id
            || ' version ' || workflow_version || ': ' || left(a.label, 60)
        when a.kind = 'ARRAY' and list_contains(
            list_transform(a.labels, lambda label: {task}.label_index[label] is null), true
        )
            then a.task || ' answers are not all labels of workflow ' || workflow_id
            || ' version ' || workflow_version || ': ' || left(a.value::varchar, 60)
        when a.kind not in ('VARCHAR', 'ARRAY', 'NULL')
            then a.task || ' answer is not a label: ' || left(a.value::varchar, 60)
    end), lambda problem: problem is not null)"""


def _version_task_maps(landing: Landing) -> pa.Table:
    """Per landed workflow version, its tasks: type and {answer label: index}.

    A label shared by two answers of one task cannot be told apart and is left out, so a vote
    with it is set aside rather than guessed.
    """
    rows: dict[tuple[int, int, int], list[tuple[str, dict[str, Any]]]] = {}
    files = [str(p) for p in landing.files(WORKFLOW_VERSIONS)]
    if files:
        with duckdb.connect() as con:
            versions = con.execute(
                "select workflow_id, major_number, minor_number, tasks, strings "
                "from read_parquet($files) order by ingested_at",
                {"files": files},
            ).fetchall()
    else:
        versions = []
    for workflow_id, major, minor, tasks_text, strings_text in versions:
        tasks = orjson.loads(tasks_text)
        strings = orjson.loads(strings_text or "{}")
        rows[(workflow_id, major, minor)] = [
            (task, _task_entry(definition, strings)) for task, definition in tasks.items()
            if isinstance(definition, dict)
        ]  # fmt: skip
    keys = list(rows)
    return pa.table(
        {
            "workflow_id": pa.array([k[0] for k in keys], pa.int64()),
            "major": pa.array([k[1] for k in keys], pa.int64()),
            "minor": pa.array([k[2] for k in keys], pa.int64()),
            "task_maps": pa.array([rows[k] for k in keys], _TASK_MAP),
        }
    )


def _task_entry(definition: dict[str, Any], strings: dict[str, Any]) -> dict[str, Any]:
    task_type = definition.get("type")
    labels = [
        strings.get(answer.get("label"), answer.get("label"))
        for answer in definition.get("answers") or []
        if isinstance(answer, dict)
    ]
    counts = Counter(labels)
    label_index = [
        (label, index) for index, label in enumerate(labels)
        if isinstance(label, str) and counts[label] == 1
    ]  # fmt: skip
    return {"task_type": task_type, "label_index": label_index}


def _workflow_projects(landing: Landing, project_id: int | None) -> pa.Table:
    """The project each workflow lands under (exports do not say): --project-id, else the
    project its classifications already landed under; others get ``$default_project``."""
    known = {} if project_id is not None else landing.projects_by_workflow()
    return pa.table(
        {
            "workflow_id": pa.array(list(known), pa.int64()),
            "project_id": pa.array(list(known.values()), pa.int64()),
        }
    )


def _csv_rejects(con: duckdb.DuckDBPyConnection, path: Path) -> pa.Table:
    """Lines of a file the CSV reader could not read at all (a truncated last line, a broken
    quote), as rejected rows. A file read more than once reports each line once."""
    try:
        rows = con.execute(
            """
            select distinct errors.line, errors.error_message, errors.csv_line
            from reject_errors as errors
            inner join reject_scans as scans using (scan_id, file_id)
            where scans.file_path = $path
            order by errors.line
            """,
            {"path": str(path)},
        ).fetchall()
    except duckdb.CatalogException:  # no read stored rejects in this connection
        rows = []
    ingested_at = _now()
    return pa.Table.from_pylist(
        [
            records.rejected_row(
                "csv_line",
                None,
                f"{path.name} line {line}: {message.splitlines()[0]}",
                None,
                None,
                ingested_at,
                "export",
            )
            | {"raw": text}
            for line, message, text in rows
        ],
        schema=REJECTED.schema,
    )


# -- subjects ---------------------------------------------------------------------------------


def _land_subject_export(
    con: duckdb.DuckDBPyConnection, landing: Landing, path: Path, summary: ExportSummary
) -> None:
    """The subjects export: one row per (subject, subject set, workflow); the latest wins."""
    columns = _columns(path)
    _require(path, columns, SUBJECT_COLUMNS)
    optional = {
        "project_id": "try_cast(project_id as bigint)",
        "locations": "locations",
        "created_at": "try_strptime(created_at, '%Y-%m-%d %H:%M:%S UTC')",
        "updated_at": "try_strptime(updated_at, '%Y-%m-%d %H:%M:%S UTC')",
    }
    selected = ",\n".join(
        f"{expression} as {name}" if name in columns else f"null as {name}"
        for name, expression in optional.items()
    )
    sql = f"""
    select
        try_cast(subject_id as bigint) as subject_id,
        subject_id as subject_id_text,
        metadata,
        {selected},
        to_json(csv_row)::varchar as raw
    from {_read_csv_sql("$path", columns)} as csv_row
    """
    _land_subject_rows(con, landing, sql, {"path": str(path)}, summary, True)


def _land_subjects_from_subject_data(
    con: duckdb.DuckDBPyConnection, landing: Landing, path: Path, summary: ExportSummary
) -> None:
    """Subjects no export or API run has landed, from the classifications' `subject_data`."""
    columns = _columns(path)
    if "subject_data" not in columns:
        return
    sql = f"""
    with entries as (
        select
            unnest(map_entries(try_cast(subject_data::json as map(varchar, json)))) as entry,
            subject_data
        from {_read_csv_sql("$path", columns)}
        where json_valid(subject_data)
    )
    select
        try_cast(entry.key as bigint) as subject_id,
        entry.key as subject_id_text,
        to_json(map_from_entries(list_filter(
            map_entries(try_cast(entry.value as map(varchar, json))),
            lambda field: field.key <> 'retired'
        )))::varchar as metadata,
        null::bigint as project_id,
        null::varchar as locations,
        null::timestamp as created_at,
        null::timestamp as updated_at,
        to_json(struct_pack(subject_data := entry.value))::varchar as raw
    from entries
    """
    # Unreadable lines of the classifications export were set aside with the classifications.
    _land_subject_rows(con, landing, sql, {"path": str(path)}, summary, False)


def _subjects_missing(landing: Landing) -> bool:
    projects = set(landing.projects_by_workflow().values())
    return any(landing.missing_subject_ids(project) for project in projects)


def _land_subject_rows(
    con: duckdb.DuckDBPyConnection,
    landing: Landing,
    rows_sql: str,
    params: dict[str, Any],
    summary: ExportSummary,
    reject_unreadable_lines: bool,
) -> None:
    """Land the subjects of ``rows_sql`` not landed yet (one row per subject, latest first)."""
    landed_files = [str(p) for p in landing.files(SUBJECTS)]
    already = (
        "latest.subject_id in (select landed.subject_id from read_parquet($landed) as landed)"
        if landed_files
        else "false"
    )
    if landed_files:
        params = {**params, "landed": landed_files}
    projects = set(landing.projects_by_workflow().values())
    default_project = projects.pop() if len(projects) == 1 else UNKNOWN_PROJECT
    sql = f"""
    with candidates as ({rows_sql}),

    latest as (
        select *
        from candidates
        qualify row_number() over (
            partition by subject_id_text order by updated_at desc nulls last
        ) = 1
    )

    select
        case
            when subject_id is null or subject_id::varchar <> trim(subject_id_text)
                or not json_valid(metadata) then 'reject'
            when {already} then 'landed'
            else 'land'
        end as disposition,
        case
            when subject_id is null or subject_id::varchar <> trim(subject_id_text)
                then 'subject_id is not an integer id: ' || left(subject_id_text, 40)
            when not json_valid(metadata) then 'metadata is not valid JSON'
        end as reason,
        'subject' as entity,
        subject_id,
        subject_id as entity_id,
        coalesce(project_id, {default_project}) as project_id,
        null::bigint as workflow_id,
        metadata,
        coalesce(locations, '[]') as locations,
        created_at,
        updated_at,
        raw,
        'export' as source,
        $ingested_at as ingested_at
    from latest
    """
    params = {**params, "ingested_at": _now()}
    table = con.sql(sql, params=params).to_arrow_table()
    with landing.writer(SUBJECTS) as landed, landing.writer(REJECTED) as rejected:
        landed.write(table.filter(pc.equal(table["disposition"], "land")))
        set_aside = table.filter(pc.equal(table["disposition"], "reject"))
        rejected.write(set_aside)
        if reject_unreadable_lines:
            unreadable = _csv_rejects(con, Path(params["path"]))
            rejected.write(unreadable)
            summary.rejected.update(unreadable["reason"].to_pylist())
    summary.rejected.update(set_aside["reason"].to_pylist())
    summary.subjects += landed.rows_written
    summary.files += len(landed.files_written) + len(rejected.files_written)


# -- plumbing ---------------------------------------------------------------------------------


def _read_csv_sql(path_parameter: str, columns: list[str]) -> str:
    """Every column as text, the dialect given rather than sniffed. Lines the reader cannot read
    (cut short, a broken quote, longer than DuckDB's default line limit) go to its reject tables.

    The line limit stays at DuckDB's default on purpose: the reader's buffers grow with it, and
    a larger one makes memory grow with the file instead of staying bounded."""
    types = ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in columns)
    return (
        f"read_csv({path_parameter}, header = true, delim = ',', quote = '\"', "
        f"escape = '\"', columns = {{{types}}}, auto_detect = false, store_rejects = true)"
    )


def _columns(path: Path) -> list[str]:
    """The header of a CSV export."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise ExportError(f"{path.name} is empty")
    return header


def _require(path: Path, columns: list[str], required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        raise ExportError(f"{path.name} lacks the column(s) {', '.join(missing)}")


def _read_small_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    """All rows of a small export (the workflows export: one row per workflow version)."""
    _require(path, _columns(path), required)
    csv.field_size_limit(sys.maxsize)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _path_literal(path: Path) -> str:
    return str(path).replace("'", "''")


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
