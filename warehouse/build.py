"""``gz-warehouse build``: run ``dbt build`` only when there is something to build.

A scheduled run that landed nothing would otherwise pay dbt's start-up and a pass over every
model and test (about 25 s at a million classifications) to change nothing. What a build
depends on is summed up in one fingerprint: the landed files (append-only, each name unique,
never rewritten), the dbt project's files, and the arguments given to dbt. After a successful
build the fingerprint is stored inside the warehouse file itself, with the list of parquet
marts then published, so that a deleted or replaced warehouse, or a deleted mart file, always
builds again. The fingerprint is taken before dbt starts: rows landing during a build make the
next run build again (an extra build, never a missed one).

``dbt build`` run directly always builds, as does ``gz-warehouse build --force``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.lock import LockTimeout, holding
from ingest.queries import query
from ingest.settings import Settings
from warehouse import serving
from warehouse.dbt import PROJECT_DIR, run_dbt
from warehouse.published import mart_files

# What dbt reads from the project directory (dbt_project.yml names the same folders).
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "selectors.yml")
PROJECT_DIRS = ("models", "macros", "seeds", "snapshots", "tests/dbt", "analyses")


@dataclass(frozen=True)
class BuildState:
    """The fingerprint of a build's inputs and the mart files it left behind."""

    fingerprint: str
    mart_files: tuple[str, ...] = ()


def fingerprint(data_dir: Path, project_dir: Path, dbt_args: list[str]) -> str:
    """A digest of the landed files, the dbt project's files and the dbt arguments."""
    digest = hashlib.sha256()
    digest.update(json.dumps(dbt_args).encode())
    raw = data_dir / "raw"
    for path in sorted(raw.rglob("*.parquet")) if raw.is_dir() else []:
        digest.update(f"{path.relative_to(raw)}\0{path.stat().st_size}\n".encode())
    for path in _project_files(project_dir):
        digest.update(f"{path.relative_to(project_dir)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _project_files(project_dir: Path) -> list[Path]:
    files = [project_dir / name for name in PROJECT_FILES if (project_dir / name).is_file()]
    for name in PROJECT_DIRS:
        folder = project_dir / name
        if folder.is_dir():
            files += (p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return sorted(files)


def last_build(warehouse: Path) -> BuildState | None:
    """What the last successful build recorded in the warehouse, if it can be read."""
    if not warehouse.is_file():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            row = con.execute(query("warehouse", "last_build")).fetchall()
    except duckdb.Error:  # no such table yet, or the file is busy: build
        return None
    return BuildState(row[0][0], tuple(row[0][1])) if row else None


def record_build(warehouse: Path, state: BuildState) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            query("warehouse", "record_build"),
            {"fingerprint": state.fingerprint, "mart_files": list(state.mart_files)},
        )


def up_to_date(state: BuildState, previous: BuildState | None, data_dir: Path) -> bool:
    if previous is None or previous.fingerprint != state.fingerprint:
        return False
    return all((data_dir / name).is_file() for name in previous.mart_files)


def published_marts(data_dir: Path) -> tuple[str, ...]:
    files = mart_files(data_dir / "marts").values()
    return tuple(sorted(str(path.relative_to(data_dir)) for paths in files for path in paths))


def refresh_serving(data_dir: Path) -> None:
    """Write ``marts.duckdb`` again if it does not name the published marts as they are now.

    A repair on a skipped build: a failure is reported, and leaves the skip a success."""
    if not (data_dir / "marts").is_dir() or serving.is_current(data_dir):
        return
    try:
        with holding(data_dir):
            print(serving.publish(data_dir).summary(), flush=True)
    except (duckdb.Error, OSError, LockTimeout) as exc:
        print(f"serving database not refreshed: {exc}", file=sys.stderr, flush=True)


def build(
    settings: Settings,
    dbt_args: list[str],
    force: bool = False,
    project_dir: Path = PROJECT_DIR,
) -> int:
    """Run ``dbt build`` unless its inputs are those of the last successful build.

    Returns dbt's exit status (0 when skipped).
    """
    data_dir, warehouse = settings.data_dir, settings.warehouse_db
    state = BuildState(fingerprint(data_dir, project_dir, dbt_args))
    if not force and up_to_date(state, last_build(warehouse), data_dir):
        print("nothing new landed and the project is unchanged: dbt build skipped", flush=True)
        refresh_serving(data_dir)  # e.g. the data directory moved: its views' paths changed
        return 0
    status = run_dbt(["build", *dbt_args], settings.dbt_environment(), project_dir)
    if status != 0:
        return status
    with holding(data_dir):  # dbt has exited: take the writers' lock for our one write
        record_build(warehouse, BuildState(state.fingerprint, published_marts(data_dir)))
    return 0
