"""The serving database, ``marts.duckdb``, as BI tools reach it: through SQLAlchemy and
``duckdb_engine``, read-only, while an ingest and a ``dbt build`` run.

Two clients query every mart in a loop from before the ingest until after the build: one opens a
connection per query, as Superset does (``NullPool``); the other, in its own process and working
directory, holds one connection from start to end, as a notebook may. Two dbt builds in all.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
import sqlalchemy
from conftest import (
    PROJECT_ROOT,
    WORKFLOW_ID,
    clean_environment,
    run_dbt,
    run_ingest,
    standin_server,
)
from sqlalchemy.pool import NullPool

from standin import sample
from standin.server import StandInData
from warehouse import serving
from warehouse.build import refresh_serving
from warehouse.dbt import dbt_executable
from warehouse.published import mart_files

pytestmark = pytest.mark.dbt

SERVING_LINE = "serving database "  # dbt's line once marts.duckdb is refreshed
ROUNDS_AFTER_BUILD = 2  # a whole round begun after the build ended, and one more
PACE_S = 0.1  # between a client's rounds: only leaves the two cores to the ingest and dbt

# A client in its own process and working directory that holds one pooled connection (the
# default pool of duckdb_engine) and prints each round's row counts as JSON: one round with
# `once`, else rounds until its stdin is closed.
HOLDING_CLIENT = """
import json, sys, threading
import sqlalchemy
engine = sqlalchemy.create_engine(sys.argv[1], connect_args={"read_only": True})
stop = threading.Event()
if sys.argv[2:] == ["once"]:
    stop.set()
else:
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
with engine.connect() as connection:
    names = [r[0] for r in connection.execute(sqlalchemy.text(
        "select view_name from duckdb_views() where not internal order by 1"))]
    while True:
        counts, errors = {}, []
        for name in names:
            try:
                counts[name] = connection.execute(
                    sqlalchemy.text(f'select count(*) from "{name}"')).scalar_one()
            except Exception as exc:
                errors.append(f"{name}: {exc}")
        print(json.dumps({"counts": counts, "errors": errors}), flush=True)
        if stop.wait(0.1):
            break
"""


@dataclass
class Landing:
    data_dir: Path
    database: Path
    data: StandInData

    @property
    def serving_db(self) -> Path:
        return self.data_dir / "marts.duckdb"

    @property
    def url(self) -> str:
        return f"duckdb:///{self.serving_db}"

    def marts(self) -> list[str]:
        return sorted(mart_files(self.data_dir / "marts"))

    def warehouse_counts(self) -> dict[str, int]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return {
                name: con.execute(f'select count(*) from "{name}"').fetchone()[0]
                for name in self.marts()
            }

    def ingest(self) -> None:
        with standin_server(self.data) as api:
            done = run_ingest(api, self.data_dir, "--workflow-id", str(WORKFLOW_ID))
        assert done.returncode == 0, done.output


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Landing:
    root = tmp_path_factory.mktemp("serving")
    generated = sample.generate(n_classifications=2_000, n_subjects=120, seed=31)
    landing = Landing(root / "data", root / "warehouse.duckdb", StandInData.from_sample(generated))
    landing.data.publish(1_000)
    landing.ingest()
    run_dbt(landing.data_dir, landing.database)
    return landing


@dataclass
class Rounds:
    """What a looping client saw: each whole round's row counts, and every error."""

    counts: list[dict[str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def add(self, counts: dict[str, int], errors: list[str]) -> None:
        with self.changed:
            self.counts.append(counts)
            self.errors.extend(errors)
            self.changed.notify_all()

    def wait_for(self, rounds: int, timeout: float = 120) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.counts) >= rounds, timeout), rounds


class SupersetClient(threading.Thread):
    """Queries every mart in a loop through a new read-only connection each time (NullPool)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sqlalchemy.create_engine(
            url, connect_args={"read_only": True}, poolclass=NullPool
        )
        self.rounds = Rounds()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            counts: dict[str, int] = {}
            errors: list[str] = []
            try:
                with self.engine.connect() as connection:
                    names = connection.execute(
                        sqlalchemy.text("select view_name from duckdb_views() where not internal")
                    ).scalars()
                    names = sorted(names)
                for name in names:
                    with self.engine.connect() as connection:
                        query = sqlalchemy.text(f'select count(*) from "{name}"')
                        counts[name] = connection.execute(query).scalar_one()
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            self.rounds.add(counts, errors)
            self.stop.wait(PACE_S)


class HoldingClient:
    """The HOLDING_CLIENT script, run from another working directory."""

    def __init__(self, url: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDING_CLIENT, url], cwd=cwd, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.rounds = Rounds()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            seen = json.loads(line)
            self.rounds.add(seen["counts"], seen["errors"])

    def finish(self) -> str:
        _, stderr = self.process.communicate(input="", timeout=120)
        self.reader.join(timeout=60)
        return stderr


@dataclass
class DuringBuild:
    before: dict[str, int]  # the warehouse's row counts before the ingest
    after: dict[str, int]  # and after the build
    superset: Rounds
    superset_rounds_at_build_start: int
    superset_rounds_at_build_end: int
    holding: Rounds
    holding_stderr: str
    build_output: str


@pytest.fixture(scope="module")
def during_build(landing: Landing, tmp_path_factory) -> Iterator[DuringBuild]:
    """The rest of the sample ingested and built while both clients loop over every mart."""
    before = landing.warehouse_counts()
    superset = SupersetClient(landing.url)
    superset.start()
    holding = HoldingClient(landing.url, cwd=tmp_path_factory.mktemp("elsewhere"))
    try:
        superset.rounds.wait_for(1)
        holding.rounds.wait_for(1)
        landing.data.publish_all()
        landing.ingest()
        build = subprocess.Popen(
            [dbt_executable(), "build", "--exclude", "test_type:unit"], cwd=PROJECT_ROOT,
            env=clean_environment(landing.data_dir) | {"WAREHOUSE_DB": str(landing.database)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        at_start = len(superset.rounds.counts)
        output, _ = build.communicate(timeout=600)  # the clients keep querying meanwhile
        at_end = len(superset.rounds.counts)
        assert build.returncode == 0, output[-4000:]
        superset.rounds.wait_for(at_end + ROUNDS_AFTER_BUILD)
        holding.rounds.wait_for(len(holding.rounds.counts) + 1)
    finally:
        superset.stop.set()
        holding_stderr = holding.finish()
        superset.join(timeout=120)
    yield DuringBuild(
        before, landing.warehouse_counts(), superset.rounds, at_start, at_end,
        holding.rounds, holding_stderr, output,
    )  # fmt: skip


def test_the_build_refreshes_the_serving_database_with_a_view_per_published_mart(
    landing, during_build
):
    assert f"{SERVING_LINE}{landing.serving_db} written" in during_build.build_output
    with duckdb.connect(str(landing.serving_db), read_only=True) as con:
        views = con.execute(
            "select view_name from duckdb_views() where not internal order by 1"
        ).fetchall()
        tables = con.execute("select count(*) from duckdb_tables()").fetchone()[0]
    assert [name for (name,) in views] == landing.marts()
    assert tables == 0  # views only: the data stays in the parquet


def test_a_superset_client_sees_no_error_during_an_ingest_and_a_build_then_the_new_data(
    during_build,
):
    assert during_build.superset.errors == []
    # it kept opening the file while dbt built: the file was never locked against it
    assert during_build.superset_rounds_at_build_end > during_build.superset_rounds_at_build_start
    assert during_build.after != during_build.before, "the build changed nothing"
    assert during_build.superset.counts[0] == during_build.before
    assert during_build.superset.counts[-1] == during_build.after
    for counts in during_build.superset.counts:  # each query saw one whole build's file
        assert set(counts) == set(during_build.before)
        for name, rows in counts.items():
            assert rows in (during_build.before[name], during_build.after[name]), name


def test_a_client_holding_its_connection_in_another_directory_sees_one_whole_snapshot(
    landing, during_build
):
    assert during_build.holding.errors == [], during_build.holding_stderr[-2000:]
    # the files it was given stay as they were for as long as it holds the database open
    assert all(counts == during_build.before for counts in during_build.holding.counts)
    # a new connection from another directory sees the new build
    seen = subprocess.run(
        [sys.executable, "-c", HOLDING_CLIENT, landing.url, "once"], cwd=landing.data_dir.parent,
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert json.loads(seen.stdout) == {"counts": during_build.after, "errors": []}


def test_a_moved_data_directory_is_served_again_by_the_next_refresh(landing, during_build):
    moved = landing.data_dir.parent / "moved" / "data"
    moved.parent.mkdir()
    subprocess.run(["cp", "-a", str(landing.data_dir), str(moved)], check=True)
    assert not serving.is_current(moved)
    refresh_serving(moved)
    assert serving.is_current(moved)
    engine = sqlalchemy.create_engine(
        f"duckdb:///{moved / 'marts.duckdb'}", connect_args={"read_only": True}, poolclass=NullPool
    )
    with engine.connect() as connection:
        definitions = connection.execute(
            sqlalchemy.text("select sql from duckdb_views() where not internal")
        ).scalars()
        assert all(
            str(moved) in sql and str(landing.data_dir) + "/" not in sql for sql in definitions
        )
        counts = {
            name: connection.execute(sqlalchemy.text(f'select count(*) from "{name}"')).scalar_one()
            for name in landing.marts()
        }
    assert counts == during_build.after
