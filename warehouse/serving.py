"""The serving database: ``$WAREHOUSE_DATA_DIR/marts.duckdb``, one view per published mart.

BI tools (Superset, Metabase, Tableau through DuckDB's SQLAlchemy or JDBC driver) and notebooks
need tables, not parquet globs. This small DuckDB file holds nothing but views, each named after
its mart, over the parquet the last build published. It is refreshed by the hook that publishes
the marts (``publish_marts``, through the SQL function the dbt plugin registers), and by
``gz-warehouse build`` when it skips a build, so a moved data directory is repaired by the next
run.

What a reader can rely on:

- **Never locked.** The file is never written where it lies: a new one is written under
  ``serving/``, then renamed over ``marts.duckdb``. A client that has it open keeps the file it
  opened (and its shared lock, which no writer ever waits for); the next connection opens the
  new one. A build never opens ``marts.duckdb`` at all.
- **Whole files.** DuckDB opens a parquet file more than once during one query (once for its
  footer, again on each scanning thread), so a view over ``marts/<name>.parquet`` could read the
  footer of one build's file and the rows of the next one's. Each view reads instead a frozen
  copy, ``serving/<name>-<mtime>-<size>.parquet``: a hard link to the published file (no extra
  space; a copy where links are not supported), never changed once written. A mart published
  as subject buckets (``marts/<name>/part-<bucket>.parquet``, :mod:`warehouse.published`) is
  one view over the frozen copies of all its parts, the same set for the whole of a query.
- **Current.** Every publish that changed a mart writes a new ``marts.duckdb`` naming the new
  copies; a publish that changed nothing writes nothing. A client sees the new data on its next
  connection (Superset opens one per query); a connection held open keeps reading the copies it
  was given, which are kept as long as any process holds that database open (DuckDB's lock on it
  says so), and one publish longer besides.
- **Paths from anywhere.** Views name their files by absolute path, so a client may run in any
  directory. When the data directory moves, the next publish (or ``gz-warehouse build``, even
  when it skips) writes the views again with the new paths.
- **Old readers.** The file is written in DuckDB's v1.0.0 storage format, readable by the DuckDB
  1.x bundled with BI drivers; views only use ``read_parquet``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import struct
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.landing import fsync_file, process_alive
from warehouse.published import mart_files

SERVING_DB = "marts.duckdb"
FROZEN_DIR = "serving"
# Readable by DuckDB 1.0 and later (DuckDB 2's own format is not readable by any 1.x).
STORAGE_VERSION = "v1.0.0"
_CURRENT = "current.json"
_TEMP_NAME = re.compile(r"^\..+\.(\d+)\.tmp$")


@dataclass(frozen=True)
class Published:
    """What one call did: the views the serving database has, and whether it was rewritten."""

    path: Path
    views: tuple[str, ...]
    rewritten: bool
    seconds: float

    def summary(self) -> str:
        state = "written" if self.rewritten else "unchanged"
        return f"serving database {self.path} {state}: {len(self.views)} views"


def publish(data_dir: Path) -> Published:
    """Make ``marts.duckdb`` name the marts published under ``data_dir/marts`` now."""
    started = time.perf_counter()
    data_dir = data_dir.resolve()
    frozen_dir = data_dir / FROZEN_DIR
    frozen_dir.mkdir(exist_ok=True)
    _remove_dead_temporaries(frozen_dir.glob(".*.tmp*"), data_dir.glob(f".{SERVING_DB}.*.tmp"))
    marts = {
        name: tuple(_freeze(path, frozen_dir, _stem(name, path)) for path in paths)
        for name, paths in mart_files(data_dir / "marts").items()
    }
    generation = _generation(data_dir, marts)
    current = _read_current(frozen_dir)
    target = data_dir / SERVING_DB
    rewritten = current.get("generation") != generation or not target.is_file()
    if rewritten:
        database = frozen_dir / f"{generation}.duckdb"
        if not database.is_file():
            _write_database(database, marts)
        named = sorted(path.name for paths in marts.values() for path in paths)
        _write_json(frozen_dir / f"{generation}.json", named)
        _place(database, target)
        previous = current.get("generation")
        _write_json(frozen_dir / _CURRENT, {"generation": generation, "previous": previous})
        _collect(frozen_dir, keep={generation, previous} - {None})
    return Published(target, tuple(sorted(marts)), rewritten, time.perf_counter() - started)


def is_current(data_dir: Path) -> bool:
    """Whether ``marts.duckdb`` already names every published mart file as it is now."""
    data_dir = data_dir.resolve()
    frozen_dir = data_dir / FROZEN_DIR
    if not (data_dir / SERVING_DB).is_file():
        return False
    marts = {}
    for name, paths in mart_files(data_dir / "marts").items():
        frozen = tuple(frozen_dir / _frozen_name(path, _stem(name, path)) for path in paths)
        if not all(copy.is_file() for copy in frozen):
            return False
        marts[name] = frozen
    return _read_current(frozen_dir).get("generation") == _generation(data_dir, marts)


def _stem(mart: str, path: Path) -> str:
    """What a frozen copy of one of a mart's files is named after: the mart, and the part."""
    return mart if path.stem == mart else f"{mart}-{path.stem}"


def _frozen_name(path: Path, stem: str) -> str:
    stat = path.stat()
    return f"{stem}-{stat.st_mtime_ns:x}-{stat.st_size:x}.parquet"


def _freeze(path: Path, frozen_dir: Path, stem: str) -> Path:
    """A name under ``serving/`` for the file now at ``path``, never changed afterwards."""
    frozen = frozen_dir / _frozen_name(path, stem)
    if frozen.is_file():
        return frozen
    temporary = frozen_dir / f".{path.name}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    try:
        os.link(path, temporary)
    except OSError:  # a file system without hard links: a copy, with the same mtime
        shutil.copy2(path, temporary)
    # named after what was linked (the published file may have been replaced since the stat)
    frozen = frozen_dir / _frozen_name(temporary, stem)
    os.replace(temporary, frozen)
    return frozen


def _generation(data_dir: Path, marts: dict[str, tuple[Path, ...]]) -> str:
    """A digest of what the views would say: their names, their files' paths, the format."""
    described = [
        STORAGE_VERSION,
        *(f"{name}\0{path}" for name, paths in sorted(marts.items()) for path in paths),
    ]
    return hashlib.sha256("\n".join(described).encode()).hexdigest()[:16]


def _write_database(database: Path, marts: dict[str, tuple[Path, ...]]) -> None:
    temporary = database.parent / f".{database.name}.{os.getpid()}.tmp"
    for stale in (temporary, temporary.with_name(temporary.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    try:
        with duckdb.connect() as con:
            storage = f"storage_version '{STORAGE_VERSION}'"
            con.execute(f"attach {_literal(temporary)} as serving ({storage})")
            for name, paths in sorted(marts.items()):
                files = ", ".join(_literal(path) for path in paths)
                con.execute(
                    f"create view serving.main.{_identifier(name)} as "
                    f"select * from read_parquet([{files}])"
                )
            con.execute("detach serving")
        os.chmod(temporary, 0o444)  # read-only for everyone: clients are to open it read-only
        fsync_file(temporary)
        os.replace(temporary, database)
    except BaseException:
        for partial in (temporary, temporary.with_name(temporary.name + ".wal")):
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        raise


def _place(database: Path, target: Path) -> None:
    """Rename a link to ``database`` over ``target``: a reader opens the old file or the new."""
    temporary = target.parent / f".{target.name}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    try:
        # a link, so that the lock a client takes on marts.duckdb is seen on this name too
        os.link(database, temporary)
    except OSError:
        shutil.copy2(database, temporary)
    os.replace(temporary, target)
    fsync_file(target.parent)


def _collect(frozen_dir: Path, keep: set[str]) -> None:
    """Remove databases no process holds open and that are not kept, then unnamed copies."""
    for database in frozen_dir.glob("*.duckdb"):
        generation = database.stem
        if generation in keep or _held_open(database):
            keep.add(generation)
            continue
        database.unlink()
        with contextlib.suppress(FileNotFoundError):
            (frozen_dir / f"{generation}.json").unlink()
    named: set[str] = set()
    for generation in keep:
        with contextlib.suppress(FileNotFoundError, ValueError):
            named.update(json.loads((frozen_dir / f"{generation}.json").read_text()))
    for frozen in frozen_dir.glob("*.parquet"):
        if frozen.name not in named:
            frozen.unlink()
    for manifest in frozen_dir.glob("*.json"):
        if manifest.name != _CURRENT and manifest.stem not in keep:
            manifest.unlink()


def _held_open(database: Path) -> bool:
    """Whether another process has this database open (DuckDB holds an fcntl lock on it)."""
    try:
        fd = os.open(database, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        if sys.platform == "darwin":  # struct flock: l_start, l_len, l_pid, l_type, l_whence
            layout, fields, kind = "qqihh", (0, 0, 0, fcntl.F_WRLCK, os.SEEK_SET), 3
        else:  # Linux: l_type, l_whence, l_start, l_len, l_pid
            layout, fields, kind = "hhqqi", (fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0), 0
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(layout, *fields))
        return struct.unpack(layout, answer)[kind] != fcntl.F_UNLCK
    finally:
        os.close(fd)


def _remove_dead_temporaries(*found: Iterable[Path]) -> None:
    """Temporary files of processes that died before renaming them (ours are named by pid)."""
    for paths in found:
        for path in paths:
            match = _TEMP_NAME.match(path.name.removesuffix(".wal"))
            if match and not _writer_alive(int(match.group(1))):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


def _writer_alive(pid: int) -> bool:
    """Whether the process that left a temporary file may still be writing it: our own
    leftovers are from an earlier call, never in progress."""
    return pid != os.getpid() and process_alive(pid)


def _read_current(frozen_dir: Path) -> dict[str, str | None]:
    try:
        return json.loads((frozen_dir / _CURRENT).read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write_json(path: Path, value: object) -> None:
    temporary = path.parent / f".{path.name}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(value))
    os.replace(temporary, path)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
