"""The same dbt models on Spark (`dbt build --target spark`, dbt-spark's session method) count
the same votes as on DuckDB, from the same parquet landing.

Needs the spark extra (`pip install -e ".[spark]"`) and Java 17; run on its own with
`make test-spark` (`pytest -m spark`): the default run leaves it out."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import (
    PROJECT_ROOT,
    WORKFLOW_ID,
    clean_environment,
    run_dbt,
    run_ingest,
    standin,
)

from ingest import sample
from ingest.standin import StandInData

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None,
        reason='needs the spark extra: pip install -e ".[spark]"',
    ),
    pytest.mark.skipif(shutil.which("java") is None, reason="needs Java 17 for Spark"),
]

FIRST_BATCH = 1_200
VOTE_COLUMNS = (
    "schema_name, subject_id, question, answer, question_order, answer_order, votes, "
    "total_votes, vote_fraction, vote_fraction_lower, vote_fraction_upper, cumulative_fraction"
)


def run_spark_dbt(data_dir: Path) -> str:
    """`dbt build --target spark` from the project root on a landing (unit tests are DuckDB's:
    their fixtures are written in its SQL)."""
    env = clean_environment(data_dir)
    dbt = Path(sys.executable).parent / "dbt"
    done = subprocess.run(
        [str(dbt), "build", "--target", "spark", "--exclude-resource-type", "unit_test"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    return done.stdout


def spark_table(data_dir: Path, name: str) -> str:
    """A Spark table's parquet files, for DuckDB to read."""
    return str(data_dir / "spark" / "warehouse" / "warehouse.db" / name / "*.parquet")


def differences(database: Path, data_dir: Path, relation: str, columns: str) -> tuple[int, int]:
    """Rows only on DuckDB, rows only on Spark (doubles compared to 9 decimals)."""
    rounded = ", ".join(
        f"round({c}, 9)" if "fraction" in c else c for c in (c.strip() for c in columns.split(","))
    )
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(
            "create temp table on_spark as select * from read_parquet($files)",
            {"files": spark_table(data_dir, relation)},
        )
        only_duckdb, only_spark = (
            con.execute(
                f"select count(*) from (select {rounded} from {a} except all "
                f"select {rounded} from {b})"
            ).fetchone()[0]
            for a, b in ((relation, "on_spark"), ("on_spark", relation))
        )
    return only_duckdb, only_spark


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, str]:
    """A landing in two batches, each built on DuckDB (incrementally) and on Spark."""
    root = tmp_path_factory.mktemp("spark")
    data_dir, database = root / "data", root / "warehouse.duckdb"
    generated = sample.generate(n_classifications=2_000, n_subjects=100, seed=17)
    data = StandInData.from_sample(generated)
    with standin(data) as api:
        data.publish(FIRST_BATCH)
        assert run_ingest(api, data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        run_dbt(data_dir, database)
        run_spark_dbt(data_dir)
        data.publish_all()
        assert run_ingest(api, data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    run_dbt(data_dir, database)
    output = run_spark_dbt(data_dir)
    return data_dir, database, output


def test_vote_counts_on_spark_equal_duckdbs(built):
    data_dir, database, output = built
    assert "ERROR=0" in output
    with duckdb.connect(str(database), read_only=True) as con:
        rows, subjects = con.execute(
            "select count(*), count(distinct subject_id) from vote_counts where votes > 0"
        ).fetchone()
    assert rows > 1_000 and subjects == 100
    assert differences(database, data_dir, "vote_counts", VOTE_COLUMNS) == (0, 0)


def test_every_vote_row_on_spark_equals_duckdbs(built):
    data_dir, database, _ = built
    columns = (
        "classification_id, task, answer_index, schema_name, question, answer, answer_label, "
        "unmapped_reason, subject_id, user_id, created_at"
    )
    assert differences(database, data_dir, "flat", columns) == (0, 0)
