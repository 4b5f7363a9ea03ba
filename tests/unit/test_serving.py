"""The serving database on small parquet marts (no dbt): what its views read, when it is
written, and which frozen copies survive a publish."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse import serving

# Holds marts.duckdb open read-only, answering `select max(i), count(*) from a` per input line.
HOLDER = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
for line in sys.stdin:
    print(con.execute("select max(i), count(*) from a").fetchone(), flush=True)
"""


def publish_mart(data_dir: Path, name: str, build: int, rows: int = 10) -> None:
    """Write marts/<name>.parquet as the dbt hook does: a new file renamed over the old."""
    (data_dir / "marts").mkdir(parents=True, exist_ok=True)
    path = data_dir / "marts" / f"{name}.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"copy (select range as n, {build} as i from range({rows})) to '{path}' "
            "(format parquet, use_tmp_file true)"
        )


def query(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / serving.SERVING_DB), read_only=True) as con:
        return con.execute(sql).fetchall()


def view_sql(data_dir: Path) -> list[str]:
    return [sql for (sql,) in query(data_dir, "select sql from duckdb_views() where not internal")]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    publish_mart(data_dir, "a", build=1)
    publish_mart(data_dir, "b", build=1, rows=3)
    return data_dir


def test_one_view_per_mart_over_a_frozen_copy_named_by_absolute_path(data_dir):
    published = serving.publish(data_dir)
    assert published.rewritten and published.views == ("a", "b")
    assert query(data_dir, "select max(i), count(*) from a") == [(1, 10)]
    assert query(data_dir, "select count(*) from b") == [(3,)]
    assert query(data_dir, "select count(*) from duckdb_tables()") == [(0,)]
    for sql in view_sql(data_dir):
        assert f"'{data_dir.resolve()}/{serving.FROZEN_DIR}/" in sql
    frozen = sorted((data_dir / serving.FROZEN_DIR).glob("a-*.parquet"))
    assert len(frozen) == 1
    assert frozen[0].stat().st_ino == (data_dir / "marts" / "a.parquet").stat().st_ino


def test_written_in_a_storage_format_duckdb_1_0_reads(data_dir):
    serving.publish(data_dir)
    header = (data_dir / serving.SERVING_DB).read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    assert int.from_bytes(header[12:20], "little") == 64  # the format of DuckDB 1.0 to 1.1


def test_unchanged_marts_write_nothing_and_a_new_build_writes_a_new_file(data_dir):
    serving.publish(data_dir)
    first = (data_dir / serving.SERVING_DB).stat().st_ino
    assert not serving.publish(data_dir).rewritten
    assert serving.is_current(data_dir)
    assert (data_dir / serving.SERVING_DB).stat().st_ino == first
    publish_mart(data_dir, "a", build=2, rows=12)
    assert not serving.is_current(data_dir)
    # until the next publish, the views read the copy they name, never the replaced file
    assert query(data_dir, "select max(i), count(*) from a") == [(1, 10)]
    assert serving.publish(data_dir).rewritten
    assert (data_dir / serving.SERVING_DB).stat().st_ino != first
    assert query(data_dir, "select max(i), count(*) from a") == [(2, 12)]


def test_a_new_mart_gets_a_view_and_a_removed_one_loses_it(data_dir):
    serving.publish(data_dir)
    publish_mart(data_dir, "c", build=1)
    (data_dir / "marts" / "b.parquet").unlink()
    assert serving.publish(data_dir).views == ("a", "c")
    views = query(data_dir, "select view_name from duckdb_views() where not internal order by 1")
    assert views == [("a",), ("c",)]


def test_a_database_held_open_keeps_its_copies_until_released(data_dir):
    serving.publish(data_dir)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir / serving.SERVING_DB)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdin is not None and holder.stdout is not None

    def ask() -> str:
        holder.stdin.write("\n")
        holder.stdin.flush()
        return holder.stdout.readline().strip()

    try:
        assert ask() == "(1, 10)"
        for build in range(2, 6):  # more publishes than the current and previous ones
            publish_mart(data_dir, "a", build=build)
            serving.publish(data_dir)
            assert ask() == "(1, 10)"  # its snapshot, whole, however many builds later
        assert query(data_dir, "select max(i) from a") == [(5,)]  # a new connection: the last
        assert len(list((data_dir / serving.FROZEN_DIR).glob("a-*.parquet"))) == 3
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    publish_mart(data_dir, "a", build=6)
    serving.publish(data_dir)
    # released: only the current and the previous database and their copies are left
    frozen_dir = data_dir / serving.FROZEN_DIR
    assert len(list(frozen_dir.glob("*.duckdb"))) == 2
    assert len(list(frozen_dir.glob("a-*.parquet"))) == 2
    assert len(list(frozen_dir.glob("b-*.parquet"))) == 1


def test_a_moved_data_directory_is_not_current_until_published_again(data_dir, tmp_path):
    serving.publish(data_dir)
    moved = tmp_path / "elsewhere"
    data_dir.rename(moved)
    assert not serving.is_current(moved)
    serving.publish(moved)
    assert all(f"'{moved.resolve()}/" in sql for sql in view_sql(moved))
    assert query(moved, "select count(*) from a") == [(10,)]


def test_temporary_files_of_dead_processes_are_removed(data_dir):
    serving.publish(data_dir)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    left = [
        data_dir / serving.FROZEN_DIR / f".a.parquet.{dead}.tmp",
        data_dir / f".{serving.SERVING_DB}.{dead}.tmp",
        data_dir / serving.FROZEN_DIR / f".x.duckdb.{os.getppid()}.tmp",  # alive: kept
    ]
    for path in left:
        path.write_text("partial")
    publish_mart(data_dir, "a", build=2)
    serving.publish(data_dir)
    assert [path.exists() for path in left] == [False, False, True]
