"""The parquet landing: hive-partitioned, append-only, written atomically. Makes no requests.

Layout under ``<data dir>/raw/``::

    classifications/project_id=P/workflow_id=W/part-*.parquet
    subjects/project_id=P/part-*.parquet
    workflow_versions/workflow_id=W/part-*.parquet
    subject_workflow_statuses/workflow_id=W/part-*.parquet
    projects/project_id=P/part-*.parquet
    workflows/workflow_id=W/part-*.parquet
    rejected/source=S/part-*.parquet

Partition columns are kept inside the files too, so each file reads on its own and
``read_parquet(..., hive_partitioning = true)`` sees the same values either way.

A file is written as ``.<name>.<pid>.tmp`` in its final directory (outside every
``*.parquet`` glob), flushed to disk, then renamed into place: readers and crashes never see
half a file. What the landing already holds (watermarks, known subjects and versions) is read
back from the files themselves, never from a side file that could drift. A landed file that
cannot be read (cut short, damaged) stops the command with a :class:`LandingError` naming it.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest.queries import query

ROWS_PER_GROUP = 10_000
BYTES_PER_GROUP = 64 * 1024 * 1024  # a row group is written by rows or bytes, whichever first
ROWS_PER_FILE = 50_000
_TEMP_NAME = re.compile(r"^\..+\.(\d+)\.tmp$")
_SOURCE = re.compile(r"[a-z]+")

_TS = pa.timestamp("us")


@dataclass(frozen=True)
class Dataset:
    name: str
    schema: pa.Schema
    partition_by: tuple[str, ...]


CLASSIFICATIONS = Dataset(
    "classifications",
    pa.schema(
        [
            ("classification_id", pa.int64()),
            ("project_id", pa.int64()),
            ("workflow_id", pa.int64()),
            ("workflow_version", pa.string()),
            ("user_id", pa.int64()),
            ("subject_ids", pa.list_(pa.int64())),
            ("created_at", _TS),
            ("annotations", pa.string()),
            ("metadata", pa.string()),
            ("raw", pa.string()),
            ("source", pa.string()),
            ("ingested_at", _TS),
        ]
    ),
    ("project_id", "workflow_id"),
)

SUBJECTS = Dataset(
    "subjects",
    pa.schema(
        [
            ("subject_id", pa.int64()),
            ("project_id", pa.int64()),
            ("metadata", pa.string()),
            ("locations", pa.string()),
            ("created_at", _TS),
            ("updated_at", _TS),
            ("raw", pa.string()),
            ("source", pa.string()),
            ("ingested_at", _TS),
        ]
    ),
    ("project_id",),
)

WORKFLOW_VERSIONS = Dataset(
    "workflow_versions",
    pa.schema(
        [
            ("workflow_version_id", pa.int64()),
            ("workflow_id", pa.int64()),
            ("major_number", pa.int64()),
            ("minor_number", pa.int64()),
            ("workflow_version", pa.string()),
            ("first_task", pa.string()),
            ("tasks", pa.string()),
            ("strings", pa.string()),
            ("created_at", _TS),
            ("raw", pa.string()),
            ("source", pa.string()),
            ("ingested_at", _TS),
        ]
    ),
    ("workflow_id",),
)

SUBJECT_WORKFLOW_STATUSES = Dataset(
    "subject_workflow_statuses",
    pa.schema(
        [
            ("subject_id", pa.int64()),
            ("workflow_id", pa.int64()),
            ("project_id", pa.int64()),
            ("classifications_count", pa.int64()),
            ("retired_at", _TS),
            ("retirement_reason", pa.string()),
            ("created_at", _TS),
            ("updated_at", _TS),
            ("raw", pa.string()),
            ("source", pa.string()),
            ("ingested_at", _TS),
        ]
    ),
    ("workflow_id",),
)

# Snapshots of a project's name and slug, landed when they change.
PROJECTS = Dataset(
    "projects",
    pa.schema(
        [
            ("project_id", pa.int64()),
            ("display_name", pa.string()),
            ("slug", pa.string()),
            ("raw", pa.string()),
            ("source", pa.string()),
            ("ingested_at", _TS),
        ]
    ),
    ("project_id",),
)

# Snapshots of a workflow's name, current version, active flag and retirement rule (JSON text,
# as Panoptes has it), landed when they change; a workflows export lands one per version row.
WORKFLOWS = Dataset(
    "workflows",
    pa.schema(
        [
            ("workflow_id", pa.int64()),
            ("project_id", pa.int64()),
            ("display_name", pa.string()),
            ("workflow_version", pa.string()),
            ("active", pa.bool_()),
            ("retirement", pa.string()),
            ("raw", pa.string()),
            ("source", pa.string()),
            ("ingested_at", _TS),
        ]
    ),
    ("workflow_id",),
)

# What a snapshot of a project or workflow is compared on, its id first: a change of anything
# else (counts, timestamps) lands nothing.
SNAPSHOT_COLUMNS = {
    PROJECTS.name: ("project_id", "display_name", "slug"),
    WORKFLOWS.name: (
        "workflow_id", "project_id", "display_name", "workflow_version", "active", "retirement",
    ),
}  # fmt: skip

REJECTED = Dataset(
    "rejected",
    pa.schema(
        [
            ("entity", pa.string()),
            ("entity_id", pa.int64()),
            ("project_id", pa.int64()),
            ("workflow_id", pa.int64()),
            ("reason", pa.string()),
            ("raw", pa.string()),
            ("source", pa.string()),
            ("ingested_at", _TS),
        ]
    ),
    ("source",),
)


class LandingError(RuntimeError):
    """A landed file that cannot be read; the message names it and says what to do."""


class Landing:
    """Read and append to the parquet landing under ``root/raw``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.raw = self.root / "raw"
        self._footers: dict[Path, tuple[tuple[int, int], pq.FileMetaData]] = {}

    # -- layout -------------------------------------------------------------------------------

    def dataset_dir(self, dataset: Dataset) -> Path:
        return self.raw / dataset.name

    def partition_dir(self, dataset: Dataset, values: dict[str, Any]) -> Path:
        """The directory of one partition; values are checked before they become a path."""
        directory = self.dataset_dir(dataset)
        for column in dataset.partition_by:
            directory /= f"{column}={_partition_value(column, values[column])}"
        return directory

    def files(self, dataset: Dataset, **partition: Any) -> list[Path]:
        """Landed files of a dataset, optionally narrowed to leading partition values.

        Every file's footer is read (once per process while the file is unchanged), so a file
        cut short stops here with a :class:`LandingError` naming it, whichever reader was next.
        """
        directory = self.dataset_dir(dataset)
        for column in dataset.partition_by:
            if column not in partition:
                break
            directory /= f"{column}={_partition_value(column, partition[column])}"
        if not directory.is_dir():
            return []
        paths = sorted(directory.rglob("*.parquet"))
        for path in paths:
            self.footer(path)
        return paths

    def classification_files(self, workflow_id: int) -> list[Path]:
        """Landed classification files of a workflow, under whichever project they landed."""
        _partition_value("workflow_id", workflow_id)
        return [
            path
            for path in self.files(CLASSIFICATIONS)
            if path.parent.name == f"workflow_id={workflow_id}"
        ]

    def footer(self, path: Path) -> pq.FileMetaData:
        """The parquet footer of a landed file; :class:`LandingError` if it cannot be read."""
        try:
            stat = path.stat()
            key = (stat.st_size, stat.st_mtime_ns)
            cached = self._footers.get(path)
            if cached is not None and cached[0] == key:
                return cached[1]
            metadata = pq.read_metadata(path)
        except (OSError, pa.ArrowException) as exc:
            raise self.unreadable(path, exc) from None
        self._footers[path] = (key, metadata)
        return metadata

    def unreadable(self, path: Path, exc: BaseException) -> LandingError:
        """The one-line error for a landed file that cannot be read."""
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        return LandingError(
            f"landed file {path} cannot be read ({reason}); it is damaged or cut short: move "
            f"it out of {self.raw} (keep it to inspect) and run again"
        )

    @contextlib.contextmanager
    def reading(self, files: Iterable[Path]) -> Iterator[None]:
        """Turn a failure to read landed ``files`` (DuckDB or Arrow) into a :class:`LandingError`
        naming the file: the one the message names, else the first whose data will not read."""
        try:
            yield
        except (duckdb.IOException, duckdb.InvalidInputException, pa.ArrowException) as exc:
            files = list(files)
            named = [path for path in files if str(path) in str(exc)]
            for path in named or files:
                try:
                    pq.read_table(path)
                except (OSError, pa.ArrowException):
                    raise self.unreadable(path, exc) from None
            if named:
                raise self.unreadable(named[0], exc) from None
            raise

    # -- what is already landed ------------------------------------------------------------

    def classification_watermark(self, project_id: int, workflow_id: int) -> int:
        """Largest classification id landed for one (project, workflow), from footer statistics.

        Rows set aside do not count: they may lie above good rows not landed yet.
        """
        landed = self.files(CLASSIFICATIONS, project_id=project_id, workflow_id=workflow_id)
        with self.reading(landed):
            return max(
                (_column_max(self.footer(p), p, "classification_id") or 0 for p in landed),
                default=0,
            )

    def lookback_start(self, project_id: int, workflow_id: int, minutes: float) -> int:
        """The id to read after to see again every classification created in the ``minutes``
        before the newest landed one: one less than the smallest landed id of that span."""
        files = self.files(CLASSIFICATIONS, project_id=project_id, workflow_id=workflow_id)
        if not files:
            return 0
        with duckdb.connect() as con, self.reading(files):
            (start,) = con.execute(
                query("ingest", "classification_lookback"),
                {"files": [str(p) for p in files], "seconds": minutes * 60},
            ).fetchone()
        return int(start)

    def classifications_set_aside_by_export(self, workflow_id: int, through: int) -> list[int]:
        """Ids up to ``through`` that an export set aside for a workflow and that are neither
        landed nor set aside by the API since, in order: the API may have them whole."""
        exported = self.files(REJECTED, source="export")
        if not exported or through <= 0:
            return []
        landed = self.classification_files(workflow_id)
        with duckdb.connect() as con, self.reading([*self.files(REJECTED), *landed]):
            self.register_landed_ids(
                con, "landed_classification_ids", CLASSIFICATIONS, "classification_id", landed
            )
            con.register("set_aside_by_api", self._api_rejections(con))
            rows = con.execute(
                query("ingest", "classification_export_gaps"),
                {
                    "files": [str(p) for p in exported],
                    "workflow_id": workflow_id,
                    "through": through,
                },
            ).fetchall()
        return [row[0] for row in rows]

    def _api_rejections(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        """What the API set aside (entity, entity_id); no rows if it has set nothing aside."""
        files = self.files(REJECTED, source="api")
        if files:
            return con.read_parquet([str(p) for p in files]).select("entity, entity_id")
        columns = ["entity", "entity_id"]
        return con.from_arrow(pa.schema([REJECTED.schema.field(c) for c in columns]).empty_table())

    def api_rejected_files(self) -> list[Path]:
        """Files of rows the API set aside."""
        return self.files(REJECTED, source="api")

    def rejected_ids(self, entity: str, **equal: int) -> set[int]:
        """Ids of API resources already set aside, so they are not fetched and set aside again."""
        files = self.files(REJECTED, source="api")
        if not files:
            return set()
        filters = [("entity", "=", entity), *((k, "=", v) for k, v in equal.items())]
        with self.reading(files):
            table = pq.read_table(files, columns=["entity_id"], filters=filters, partitioning=None)
        return {i for i in table["entity_id"].to_pylist() if i is not None}

    def landed_workflow_ids(self, project_id: int) -> set[int]:
        return {w for w, p in self.projects_by_workflow().items() if p == project_id}

    def projects_by_workflow(self) -> dict[int, int]:
        """Project of every workflow with landed classifications, from the partition names."""
        projects: dict[int, int] = {}
        root = self.dataset_dir(CLASSIFICATIONS)
        if not root.is_dir():
            return projects
        for directory in root.glob("project_id=*/workflow_id=*"):
            project, workflow = directory.parent.name, directory.name
            if re.fullmatch(r"project_id=\d+", project) and re.fullmatch(
                r"workflow_id=\d+", workflow
            ):
                projects[int(workflow.split("=", 1)[1])] = int(project.split("=", 1)[1])
        return projects

    def landed_version_numbers(self) -> set[tuple[int, int, int]]:
        """(workflow, major, minor) of every landed workflow version."""
        files = self.files(WORKFLOW_VERSIONS)
        if not files:
            return set()
        columns = ["workflow_id", "major_number", "minor_number"]
        with self.reading(files):
            table = pq.read_table(files, columns=columns, partitioning=None)
        return set(zip(*(table[c].to_pylist() for c in columns), strict=True))

    def missing_subject_ids(self, project_id: int) -> list[int]:
        """Subjects named by landed classifications of a project but not landed themselves."""
        classification_files = self.files(CLASSIFICATIONS, project_id=project_id)
        if not classification_files:
            return []
        with duckdb.connect() as con, self.reading([*classification_files, *self.files(SUBJECTS)]):
            self.register_landed_ids(con, "landed_subject_ids", SUBJECTS, "subject_id")
            rows = con.execute(
                query("ingest", "missing_subject_ids"),
                {"classification_files": [str(p) for p in classification_files]},
            ).fetchall()
        set_aside = self.rejected_ids("subject")
        return [row[0] for row in rows if row[0] not in set_aside]

    def register_landed_ids(
        self,
        con: duckdb.DuckDBPyConnection,
        name: str,
        dataset: Dataset,
        column: str,
        files: list[Path] | None = None,
    ) -> None:
        """Make ``name`` in ``con`` read ``column`` of every landed file of ``dataset`` (or of
        ``files``, some of them).

        ``read_parquet`` refuses an empty list of files, so queries read ``name`` instead: no
        rows before anything has landed.
        """
        files = self.files(dataset) if files is None else files
        if files:
            ids = con.read_parquet([str(p) for p in files]).select(column)
        else:
            ids = pa.table({column: pa.array([], dataset.schema.field(column).type)})
        con.register(name, ids)

    def rejection_status(self) -> RejectionStatus:
        """How many set-aside items are still outstanding, and how many landed since.

        The rule of the dbt model ``outstanding_rejections``: items are the latest rejection
        per (entity, entity_id), or per (entity, reason, raw) when the id could not be read; an
        item is resolved when its id is in the landing of its entity, from any source.
        """
        files = self.files(REJECTED)
        if not files:
            return RejectionStatus()
        landed = [*self.files(CLASSIFICATIONS), *self.files(SUBJECTS),
                  *self.files(WORKFLOW_VERSIONS), *self.files(PROJECTS),
                  *self.files(WORKFLOWS)]  # fmt: skip
        with duckdb.connect() as con, self.reading([*files, *landed]):
            self.register_landed_ids(con, "landed_classification_ids", CLASSIFICATIONS,
                                     "classification_id")  # fmt: skip
            self.register_landed_ids(con, "landed_subject_ids", SUBJECTS, "subject_id")
            self.register_landed_ids(con, "landed_workflow_version_ids", WORKFLOW_VERSIONS,
                                     "workflow_version_id")  # fmt: skip
            self.register_landed_ids(con, "landed_project_ids", PROJECTS, "project_id")
            self.register_landed_ids(con, "landed_workflow_ids", WORKFLOWS, "workflow_id")
            outstanding, resolved = con.execute(
                query("ingest", "outstanding_rejections"), {"files": [str(p) for p in files]}
            ).fetchone()
        return RejectionStatus(outstanding, resolved)

    def ensure_rejected_readable(self) -> None:
        """Give ``raw/rejected/`` an empty file when it has none, so that readers of the whole
        dataset (the warehouse's staging view) find its columns before anything is set aside."""
        if self.files(REJECTED):
            return
        directory = self.partition_dir(REJECTED, {"source": "api"})
        _PartitionFile(directory, REJECTED.schema).finish(keep_empty=True)

    def ensure_statuses_readable(self) -> None:
        """Give ``raw/subject_workflow_statuses/`` an empty file (under ``workflow_id=0``, which
        no workflow has) when it has none: an export-only landing, or credentials that may not
        read statuses, still build, with no statuses."""
        if self.files(SUBJECT_WORKFLOW_STATUSES):
            return
        directory = self.partition_dir(SUBJECT_WORKFLOW_STATUSES, {"workflow_id": 0})
        _PartitionFile(directory, SUBJECT_WORKFLOW_STATUSES.schema).finish(keep_empty=True)

    def ensure_workflows_readable(self) -> None:
        """Give ``raw/projects/`` and ``raw/workflows/`` an empty file each (under id 0, which
        no project or workflow has) when they have none: a landing from before they were
        landed, or where Panoptes refused them, still builds, with no names or rules."""
        for dataset, partition in ((PROJECTS, "project_id"), (WORKFLOWS, "workflow_id")):
            if not self.files(dataset):
                directory = self.partition_dir(dataset, {partition: 0})
                _PartitionFile(directory, dataset.schema).finish(keep_empty=True)

    def new_snapshots(
        self, dataset: Dataset, rows: list[dict[str, Any]], latest_only: bool = True
    ) -> list[dict[str, Any]]:
        """The ``rows`` of projects or workflows to land: those that differ from the latest
        landed snapshot of the same id (``latest_only``; an API run), or from every landed one
        (a workflows export, whose rows are past versions: loading it again adds nothing). A
        row given twice counts once."""
        columns = SNAPSHOT_COLUMNS[dataset.name]
        seen: dict[Any, set[tuple[Any, ...]]] = {}
        for row in self.landed_rows(dataset, list(columns)):
            values = tuple(row[c] for c in columns)
            if latest_only:
                seen[values[0]] = {values}
            else:
                seen.setdefault(values[0], set()).add(values)
        new = []
        for row in rows:
            values = tuple(row[c] for c in columns)
            known = seen.setdefault(values[0], set())
            if values not in known:
                if latest_only:
                    known.clear()
                known.add(values)
                new.append(row)
        return new

    def landed_rows(self, dataset: Dataset, columns: list[str]) -> list[dict[str, Any]]:
        """``columns`` of every row of a small dataset (projects, workflows), oldest landed
        first: by ``ingested_at``, then by file name (files sort by the time they landed)."""
        rows: list[dict[str, Any]] = []
        for path in self.files(dataset):
            with self.reading([path]):
                table = pq.read_table(path, columns=[*columns, "ingested_at"], partitioning=None)
            rows.extend(table.to_pylist())
        rows.sort(key=lambda row: row["ingested_at"])  # stable: files were read in order
        return rows

    def landed_workflow_version_ids(self, workflow_id: int) -> set[int]:
        """Versions of a workflow already landed (or set aside)."""
        files = self.files(WORKFLOW_VERSIONS, workflow_id=workflow_id)
        ids = self.rejected_ids("workflow_version", workflow_id=workflow_id)
        for path in files:
            with self.reading([path]):
                ids.update(pq.read_table(path, columns=["workflow_version_id"])[0].to_pylist())
        return ids

    # -- writing ----------------------------------------------------------------------------

    def writer(
        self,
        dataset: Dataset,
        rows_per_file: int = ROWS_PER_FILE,
        before_landing: Callable[[], None] | None = None,
    ) -> DatasetWriter:
        """A writer of ``dataset``; ``before_landing`` runs before each of its files lands."""
        return DatasetWriter(self, dataset, rows_per_file, before_landing)

    def remove_stale_temp_files(self) -> int:
        """Delete temporary files of writers no longer running."""
        removed = 0
        if self.raw.is_dir():
            for path in self.raw.rglob(".*.tmp"):
                match = _TEMP_NAME.match(path.name)
                if match and not process_alive(int(match.group(1))):
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed


@dataclass(frozen=True)
class RejectionStatus:
    """Items set aside in ``raw/rejected/``: still outstanding, and resolved (landed since)."""

    outstanding: int = 0
    resolved: int = 0

    def line(self) -> str:
        return (
            f"  rows set aside and still outstanding: {self.outstanding:,} "
            f"({self.resolved:,} resolved since: landed by a later run)"
        )


class DatasetWriter:
    """Buffers rows of one dataset and lands them as parquet files, one per partition.

    Rows come as Arrow tables (``write``) or dicts (``extend``). A file is rolled every
    ``rows_per_file`` rows so a long first run lands progress as it goes; memory stays bounded
    by one row group per open partition. Used as a context manager: leaving normally lands what
    is buffered, leaving on an exception discards the unfinished files (their rows were never
    counted as landed, so the next run fetches them again). ``before_landing`` runs before each
    file lands: another writer can land what it holds first.
    """

    def __init__(
        self,
        landing: Landing,
        dataset: Dataset,
        rows_per_file: int,
        before_landing: Callable[[], None] | None = None,
    ) -> None:
        self.landing = landing
        self.dataset = dataset
        self.rows_per_file = rows_per_file
        self.before_landing = before_landing
        self._open: dict[tuple[Any, ...], _PartitionFile] = {}
        self.files_written: list[Path] = []
        self.rows_written = 0

    def extend(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        if rows:
            self.write(pa.Table.from_pylist(rows, schema=self.dataset.schema))

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        table = table.select(self.dataset.schema.names).cast(self.dataset.schema)
        for key, part_rows in _split_by(table, self.dataset.partition_by):
            part = self._open.get(key)
            if part is None:
                values = dict(zip(self.dataset.partition_by, key, strict=True))
                directory = self.landing.partition_dir(self.dataset, values)
                part = self._open[key] = _PartitionFile(directory, self.dataset.schema)
            part.write(part_rows)
            if part.rows >= self.rows_per_file:
                self._land(key)

    def close(self) -> None:
        for key in list(self._open):
            self._land(key)

    def abort(self) -> None:
        for part in self._open.values():
            part.discard()
        self._open.clear()

    def _land(self, key: tuple[Any, ...]) -> None:
        part = self._open.pop(key)
        if part.rows and self.before_landing is not None:
            self.before_landing()
        path = part.finish()
        if path is not None:
            self.files_written.append(path)
            self.rows_written += part.rows

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class _PartitionFile:
    """One parquet file in the making: row groups go to a hidden temp file, renamed at the end."""

    def __init__(self, directory: Path, schema: pa.Schema) -> None:
        self.directory = directory
        self.schema = schema
        self.rows = 0
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._pending_bytes = 0
        self._writer: pq.ParquetWriter | None = None
        self.name = _part_name()
        self.temp = directory / f".{self.name}.{os.getpid()}.tmp"

    def write(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self._pending_bytes += table.nbytes
        self.rows += table.num_rows
        if self._pending_rows >= ROWS_PER_GROUP or self._pending_bytes >= BYTES_PER_GROUP:
            self._write_group()

    def _write_group(self) -> None:
        if not self._pending_rows:
            return
        self._open_writer().write_table(pa.concat_tables(self._pending))
        self._pending = []
        self._pending_rows = 0
        self._pending_bytes = 0

    def _open_writer(self) -> pq.ParquetWriter:
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self.temp, self.schema, compression="zstd")
        return self._writer

    def finish(self, keep_empty: bool = False) -> Path | None:
        """Flush, fsync and rename into place; ``None`` when no row was written, unless
        ``keep_empty`` (then the file holds the schema and no rows)."""
        self._write_group()
        if self._writer is None and not keep_empty:
            return None
        self._open_writer().close()
        fsync_file(self.temp)
        final = self.directory / self.name
        os.replace(self.temp, final)
        _fsync_directory(self.directory)
        return final

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.temp.unlink(missing_ok=True)


def _split_by(
    table: pa.Table, columns: tuple[str, ...]
) -> Iterable[tuple[tuple[Any, ...], pa.Table]]:
    """The table's rows grouped by the values of ``columns`` (usually a single group)."""
    distinct = [pc.unique(table[column]).to_pylist() for column in columns]
    if all(len(values) == 1 for values in distinct):
        yield tuple(values[0] for values in distinct), table
        return
    keys = table.select(list(columns)).group_by(list(columns)).aggregate([]).to_pylist()
    for key in keys:
        mask = None
        for column in columns:
            match = pc.equal(table[column], key[column])
            mask = match if mask is None else pc.and_(mask, match)
        yield tuple(key[c] for c in columns), table.filter(mask)


def _part_name() -> str:
    """A new file name: sortable by time, unique across processes."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"part-{stamp}-{uuid.uuid4().hex[:8]}.parquet"


def _column_max(metadata: pq.FileMetaData, path: Path, column: str) -> int | None:
    """Maximum of an integer column from the footer statistics, reading data only if absent."""
    maxima: list[int] = []
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for index in range(row_group.num_columns):
            chunk = row_group.column(index)
            if chunk.path_in_schema != column:
                continue
            stats = chunk.statistics
            if stats is None or not stats.has_min_max:
                return _scan_max(path, column)
            maxima.append(stats.max)
    return max(maxima, default=None)


def _scan_max(path: Path, column: str) -> int | None:
    value = pc.max(pq.read_table(path, columns=[column])[column]).as_py()
    return None if value is None else int(value)


def _partition_value(column: str, value: Any) -> str:
    if column == "source":
        if not isinstance(value, str) or not _SOURCE.fullmatch(value):
            raise ValueError(f"bad source partition value: {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{column} must be a non-negative integer, got {value!r}")
    return str(value)


def fsync_file(path: Path) -> None:
    """Flush a file's contents to disk (before the rename that makes it visible)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # some filesystems refuse it; the rename stays atomic
        fsync_file(directory)


def process_alive(pid: int) -> bool:
    """Whether a process of that id runs (this one included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
