"""``ingest export``: the Lab's CSV data exports into the same landing as the API. No HTTP.

Exports hold answer labels where the API holds indices. Each label is mapped back to its index
through the workflow version the classification was made under (from the workflows export,
or versions already landed), so export and API rows of one classification land alike and the
dbt models need no second path. Files are streamed through DuckDB: memory stays bounded
whatever the export's size. A row that cannot be read or mapped is set aside in
``raw/rejected/source=export/`` with its reason and never guessed; the rows around it land.

Exports are UTF-8 CSV, plain or gzip-compressed (told by the file's first bytes, not its name):
DuckDB and the header reader both decompress as they read. A zip archive is refused with how to
unpack it, and a file that is not a readable CSV export is one :class:`ExportError` naming it.
"""

from __future__ import annotations

import csv
import gzip
import logging
import re
import shlex
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ingest import records
from ingest.landing import (
    CLASSIFICATIONS,
    REJECTED,
    SUBJECTS,
    WORKFLOW_VERSIONS,
    WORKFLOWS,
    Landing,
    RejectionStatus,
)
from ingest.progress import Progress
from ingest.queries import query

log = logging.getLogger(__name__)

UNKNOWN_PROJECT = 0
BATCH_ROWS = 20_000  # converted rows handed from DuckDB to the writers at a time
CLASSIFICATION_COLUMNS = ("classification_id", "workflow_id", "workflow_version", "created_at",
                          "annotations", "subject_ids")  # fmt: skip
SUBJECT_COLUMNS = ("subject_id", "metadata")
WORKFLOW_COLUMNS = ("workflow_id", "version", "minor_version", "tasks")

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # an archive; an empty one
# What reading a file that is not a UTF-8 CSV (plain or gzip) raises, in Python and in DuckDB.
UNREADABLE = (
    UnicodeError, csv.Error, EOFError, zlib.error, gzip.BadGzipFile,
    duckdb.IOException, duckdb.InvalidInputException,
)  # fmt: skip

NOT_UTF8 = "it holds bytes that are not UTF-8 text"
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, as surrogateescape
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_TASK_MAP = pa.map_(
    pa.string(),
    pa.struct([("task_type", pa.string()), ("label_index", pa.map_(pa.string(), pa.int64()))]),
)


class ExportError(ValueError):
    """An export file that cannot be loaded at all (missing, or without the needed columns)."""


@dataclass
class ExportSummary:
    """What a run read and did. The classifications export's rows read are each one of: a new
    classification, already landed, a repeat of a classification earlier in the file (it lands
    once), or rejected (``rejected``, with subject and version rows set aside in ``other``)."""

    classifications: int = 0
    already_landed: int = 0
    repeated: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    other_rejected: int = 0
    subjects: int = 0
    workflow_versions: int = 0
    workflow_snapshots: int = 0
    rows_read: int = 0
    files: int = 0
    seconds: float = 0.0
    set_aside: RejectionStatus = field(default_factory=RejectionStatus)

    def lines(self) -> list[str]:
        rate = self.rows_read / self.seconds if self.seconds else 0.0
        classification_rejects = sum(self.rejected.values()) - self.other_rejected
        lines = [
            "ingest export:",
            f"  rows read             {self.rows_read:>10,}   (classifications export)",
            f"  new classifications   {self.classifications:>10,}",
            f"  already landed        {self.already_landed:>10,}",
            f"  repeated in the file  {self.repeated:>10,}   (a classification lands once)",
            f"  rejected rows         {classification_rejects:>10,}",
            f"  new subjects          {self.subjects:>10,}",
            f"  new workflow versions {self.workflow_versions:>10,}",
            f"  new workflow snapshots{self.workflow_snapshots:>10,}   (names, retirement rules)",
            f"  rejected other rows   {self.other_rejected:>10,}   (subjects, workflows)",
            f"  files landed          {self.files:>10,}",
            f"  seconds               {self.seconds:>10.1f}   ({rate:,.0f} rows/s)",
        ]
        if self.rejected:
            lines.append("  set aside under raw/rejected/source=export/, most common reasons:")
            lines += [f"    {n:>8,}  {reason}" for reason, n in self.rejected.most_common(5)]
        lines.append(self.set_aside.line())
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
    # What DuckDB spills under its memory limit goes beside the landing, not into the working
    # directory (a cron job's may be read-only or small).
    config = {
        "threads": 2,
        "memory_limit": memory_limit,
        "temp_directory": str(landing.root / ".duckdb_spill"),
    }
    with duckdb.connect(config=config) as con:
        con.execute("set preserve_insertion_order = false")
        con.execute(query("ingest", "macros"))
        if workflows is not None:
            _land_workflow_versions(landing, Path(workflows), summary)
            _land_workflows(landing, Path(workflows), project_id, summary)
        if subjects is not None:
            with _reading(Path(subjects)):
                _land_subject_export(con, landing, Path(subjects), summary)
        if classifications is not None:
            with _reading(Path(classifications)):
                _land_classifications(
                    con, landing, Path(classifications), project_id, progress, summary
                )
                if _subjects_missing(landing):
                    _land_subjects_from_subject_data(con, landing, Path(classifications), summary)
    progress.finish()
    landing.ensure_rejected_readable()
    landing.ensure_statuses_readable()
    landing.ensure_workflows_readable()
    summary.set_aside = landing.rejection_status()
    summary.seconds = time.monotonic() - started
    return summary


# -- workflows export ------------------------------------------------------------------------


def read_workflows_export(
    path: Path, ingested_at: datetime | None = None
) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], str]]]:
    """The workflows export's rows as ``raw/workflow_versions`` rows, and the rows that cannot
    be read, each with its reason. Either header (with or without ``aggregation``) reads."""
    if not Path(path).is_file():
        raise ExportError(f"no such export file: {path}")
    rows = _read_small_csv(Path(path), required=WORKFLOW_COLUMNS)
    ingested_at = ingested_at or _now()
    return records.convert_all(rows, lambda row: records.workflow_export_row(row, ingested_at))


def _land_workflow_versions(landing: Landing, path: Path, summary: ExportSummary) -> None:
    known = landing.landed_version_numbers()
    ingested_at = _now()
    converted, rejects = read_workflows_export(path, ingested_at)
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
    summary.other_rejected += len(rejects)
    summary.files += len(landed.files_written) + len(rejected.files_written)


def read_workflows_export_workflows(
    path: Path, project_id: int | None = None, ingested_at: datetime | None = None
) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], str]]]:
    """The workflows export's rows as ``raw/workflows`` rows (name, active flag and retirement
    rule per version row), and the rows that cannot be read, each with its reason.

    Exports do not name their project: ``project_id`` if given, else the project the
    workflow's classifications landed under, else null."""
    rows = _read_small_csv(Path(path), required=WORKFLOW_COLUMNS)
    ingested_at = ingested_at or _now()
    return records.convert_all(
        rows, lambda row: records.workflow_export_workflow_row(row, project_id, ingested_at)
    )


def _land_workflows(
    landing: Landing, path: Path, project_id: int | None, summary: ExportSummary
) -> None:
    """Land the rows of the workflows export not landed yet as ``raw/workflows`` snapshots. A
    row that cannot be read as a workflow version was set aside as one already: only the rows
    whose name, active flag or retirement rule alone cannot be read are set aside here."""
    ingested_at = _now()
    converted, rejects = read_workflows_export_workflows(path, project_id, ingested_at)
    if project_id is None:
        projects = landing.projects_by_workflow()
        converted = [row | {"project_id": projects.get(row["workflow_id"])} for row in converted]
    _, version_rejects = read_workflows_export(path, ingested_at)
    set_aside_as_versions = {orjson.dumps(row) for row, _ in version_rejects}
    rejects = [(row, why) for row, why in rejects if orjson.dumps(row) not in set_aside_as_versions]
    with landing.writer(WORKFLOWS) as landed, landing.writer(REJECTED) as rejected:
        landed.extend(landing.new_snapshots(WORKFLOWS, converted, latest_only=False))
        rejected.extend(
            records.rejected_row("workflow", row, reason, project_id, None, ingested_at, "export")
            for row, reason in rejects
        )
    summary.workflow_snapshots += landed.rows_written
    summary.rejected.update(reason for _, reason in rejects)
    summary.other_rejected += len(rejects)
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

    DuckDB reads, checks and converts the rows, each with its disposition
    (``sql/classification_export.sql``), and hands them over in Arrow batches; each batch's new
    rows go to their partitions' files and the rows set aside to ``raw/rejected/``, through the
    same writers as the API's pages (a file lands every ``ROWS_PER_FILE`` rows; a run stopped
    midway resumes past what landed). Memory stays bounded by one batch and one row group per
    open partition.

    A classification the file holds more than once (ids read first,
    ``sql/repeated_classification_ids.sql``) lands once: its rows wait in a DuckDB table, which
    spills to disk rather than grow memory, and one copy of each lands after the pass.
    """
    columns = _columns(path)
    _require(path, columns, CLASSIFICATION_COLUMNS)
    _register_export(con, path, columns)
    progress.start(f"looking for classifications {path.name} holds twice")
    con.sql(query("ingest", "repeated_classification_ids")).to_table("repeated_classification_ids")
    progress.finish()
    con.register("versions", _version_task_maps(landing))
    con.register("workflow_projects", _workflow_projects(landing, project_id))
    landing.register_landed_ids(
        con, "landed_classification_ids", CLASSIFICATIONS, "classification_id"
    )
    params = {
        "ingested_at": _now(),
        "default_project": UNKNOWN_PROJECT if project_id is None else project_id,
    }
    unknown_project_workflows: set[int] = set()
    repeated_rows = 0  # rows held, then rows held but not landed: the repeats
    holding = con.cursor()
    progress.start(f"converting {path.name}")
    converted = con.sql(query("ingest", "classification_export"), params=params)
    batches = converted.to_arrow_reader(BATCH_ROWS)
    with landing.writer(CLASSIFICATIONS) as landed, landing.writer(REJECTED) as rejected:

        def land(new: pa.Table) -> None:
            landed.write(new)
            unknown = new.filter(pc.equal(new["project_id"], UNKNOWN_PROJECT))
            unknown_project_workflows.update(pc.unique(unknown["workflow_id"]).to_pylist())

        for batch in batches:
            rows = pa.Table.from_batches([batch])
            disposition = rows["disposition"]
            new = rows.filter(pc.equal(disposition, "land"))
            land(new)
            repeated = rows.filter(pc.equal(disposition, "repeated"))
            if repeated.num_rows:
                held = holding.from_arrow(repeated)  # con is busy streaming
                if repeated_rows:
                    held.insert_into("repeated_rows")
                else:
                    held.create("repeated_rows")
                repeated_rows += repeated.num_rows
            set_aside = rows.filter(pc.equal(disposition, "reject"))
            rejected.write(set_aside)
            summary.rejected.update(set_aside["reason"].to_pylist())
            summary.already_landed += pc.sum(pc.equal(disposition, "landed")).as_py() or 0
            summary.rows_read += rows.num_rows
            progress.advance(rows=rows.num_rows)
            log.debug(
                "%s: %d rows converted (%d to land, %d set aside)",
                path.name, rows.num_rows, new.num_rows, set_aside.num_rows,
            )  # fmt: skip
        progress.finish()
        if repeated_rows:
            for batch in con.sql(query("ingest", "one_copy_each")).to_arrow_reader(BATCH_ROWS):
                once = pa.Table.from_batches([batch])
                land(once)
                repeated_rows -= once.num_rows
        summary.repeated += repeated_rows
        unreadable = _csv_rejects(con, path)
        rejected.write(unreadable)
        summary.rejected.update(unreadable["reason"].to_pylist())
        summary.rows_read += unreadable.num_rows
    summary.classifications += landed.rows_written
    summary.files += len(landed.files_written) + len(rejected.files_written)
    for workflow in sorted(unknown_project_workflows):
        log.warning(
            "workflow %d has no classifications landed by the API to tell its project: "
            "landed under project_id=%d (pass --project-id to say which)",
            workflow,
            UNKNOWN_PROJECT,
        )


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
                query("ingest", "landed_workflow_versions"), {"files": files}
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
        rows = con.execute(query("ingest", "csv_rejects"), {"path": str(path)}).fetchall()
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
    _register_export(con, path, columns)
    candidates = con.sql(query("ingest", "subject_export"))
    _land_subject_rows(con, landing, candidates, summary, unreadable_lines_of=path)


def _land_subjects_from_subject_data(
    con: duckdb.DuckDBPyConnection, landing: Landing, path: Path, summary: ExportSummary
) -> None:
    """Subjects no export or API run has landed, from the classifications' `subject_data`."""
    columns = _columns(path)
    if "subject_data" not in columns:
        return
    _register_export(con, path, columns)
    candidates = con.sql(query("ingest", "subjects_from_subject_data"))
    # Unreadable lines of the classifications export were set aside with the classifications.
    _land_subject_rows(con, landing, candidates, summary, unreadable_lines_of=None)


def _subjects_missing(landing: Landing) -> bool:
    projects = set(landing.projects_by_workflow().values())
    return any(landing.missing_subject_ids(project) for project in projects)


def _land_subject_rows(
    con: duckdb.DuckDBPyConnection,
    landing: Landing,
    candidates: duckdb.DuckDBPyRelation,
    summary: ExportSummary,
    unreadable_lines_of: Path | None,
) -> None:
    """Land the subjects among ``candidates`` not landed yet (one row per subject, the latest),
    and set aside the rows that cannot land, and the unreadable lines of that file if given."""
    con.register("subject_candidates", candidates)
    landing.register_landed_ids(con, "landed_subject_ids", SUBJECTS, "subject_id")
    projects = set(landing.projects_by_workflow().values())
    params = {
        "default_project": projects.pop() if len(projects) == 1 else UNKNOWN_PROJECT,
        "ingested_at": _now(),
    }
    table = con.sql(query("ingest", "subjects_to_land"), params=params).to_arrow_table()
    with landing.writer(SUBJECTS) as landed, landing.writer(REJECTED) as rejected:
        landed.write(table.filter(pc.equal(table["disposition"], "land")))
        set_aside = table.filter(pc.equal(table["disposition"], "reject"))
        rejected.write(set_aside)
        if unreadable_lines_of is not None:
            unreadable = _csv_rejects(con, unreadable_lines_of)
            rejected.write(unreadable)
            summary.rejected.update(unreadable["reason"].to_pylist())
            summary.other_rejected += unreadable.num_rows
    summary.rejected.update(set_aside["reason"].to_pylist())
    summary.other_rejected += set_aside.num_rows
    summary.subjects += landed.rows_written
    summary.files += len(landed.files_written) + len(rejected.files_written)


# -- plumbing ---------------------------------------------------------------------------------


def _register_export(con: duckdb.DuckDBPyConnection, path: Path, columns: list[str]) -> None:
    """Name the export's rows ``export_csv`` for the queries that read them (not read yet)."""
    rows = con.sql(
        query("ingest", "export_csv"),
        params={
            "path": str(path),
            "columns": dict.fromkeys(columns, "VARCHAR"),
            "compression": _compression(path),
        },
    )
    con.register("export_csv", rows)


def _compression(path: Path) -> str:
    """``gzip`` or ``none``, from the file's first bytes; a zip archive is refused, with how
    to unpack it (its CSV is not read in place: DuckDB reads gzip, not zip)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(ZIP_MAGICS):
        archive = shlex.quote(path.name)
        gzipped = shlex.quote(path.name.removesuffix(".zip").removesuffix(".csv") + ".csv.gz")
        raise ExportError(
            f"{path.name} is a zip archive: unpack it (unzip {archive}) and pass the CSV "
            f"inside, or recompress it (unzip -p {archive} | gzip > {gzipped}): "
            "exports are read as CSV, plain or gzip-compressed"
        )
    return "gzip" if head.startswith(GZIP_MAGIC) else "none"


def _open_text(path: Path, errors: str = "strict") -> IO[str]:
    """The export's text, decompressed as it is read if it is gzip-compressed."""
    if _compression(path) == "gzip":
        return gzip.open(path, "rt", encoding="utf-8-sig", errors=errors, newline="")
    return path.open(encoding="utf-8-sig", errors=errors, newline="")


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """A file that turns out not to be a readable CSV export, as one :class:`ExportError`."""
    try:
        yield
    except UNREADABLE as exc:
        if isinstance(exc, UnicodeError):
            raise _unreadable(path, NOT_UTF8) from exc
        first_line = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
        raise _unreadable(path, first_line) from exc


def _unreadable(path: Path, reason: str) -> ExportError:
    return ExportError(
        f"{path.name} is not a readable CSV export (UTF-8 text, plain or gzip-compressed): {reason}"
    )


def _columns(path: Path) -> list[str]:
    """The header of a CSV export. Only the header need be UTF-8 text here: a later line that
    is not is DuckDB's to set aside."""
    with _reading(path), _open_text(path, errors="surrogateescape") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise ExportError(f"{path.name} is empty")
    text = "".join(header)
    if _UNDECODED.search(text):
        raise _unreadable(path, NOT_UTF8)
    if _CONTROL.search(text):
        raise _unreadable(path, "its first line holds control characters (binary data?)")
    return header


def _require(path: Path, columns: list[str], required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        raise ExportError(f"{path.name} lacks the column(s) {', '.join(missing)}")


def _read_small_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, Any]]:
    """All rows of a small export (the workflows export: one row per workflow version)."""
    _require(path, _columns(path), required)
    csv.field_size_limit(sys.maxsize)
    with _reading(path), _open_text(path) as handle:
        return list(csv.DictReader(handle))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
