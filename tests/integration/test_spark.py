"""The same dbt models on Spark (`dbt build --target spark`, dbt-spark's session method) count
the same votes as on DuckDB, from the same parquet landing.

Needs the spark extra (`pip install -e ".[spark]"`) and Java 17; run on its own with
`make test-spark` (`pytest -m spark`): the default run leaves it out."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import (
    GZ_WAREHOUSE,
    PROJECT_ROOT,
    WORKFLOW_ID,
    clean_environment,
    run_dbt,
    run_ingest,
    standin_server,
    write_catalogue,
)
from onboarding import WORKFLOW as ONBOARDING_WORKFLOW
from onboarding import copy_project, versions

from standin import sample
from standin.server import StandInData
from warehouse.dbt import dbt_executable

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
# Columns not compared: when each engine loaded a row, JSON kept as text on Spark (the same
# document, spaced differently), catalogue row ids (numbered as each engine reads the file), and
# configuration digests (of each engine's own text of the seeds and vars).
NOT_COMPARED = {
    "_loaded_at", "metadata", "locations", "catalogue_row_id", "catalogue_catalogue_row_id",
    "_configuration",
}  # fmt: skip
MARTS = (
    "vote_counts",
    "question_predictions",
    "subjects",
    "classification_count_mismatches",
    "classification_activity",
    "gz_decals_dr5_vote_fractions",
    "gz_decals_dr5_catalogue",
    "vote_accounting",
    "volunteer_weights",
    "retirement_replay",
    "retirement_replay_summary",
    "training_labels",
    "workflows",
    "volunteer_activity",
    "volunteers",
    "subject_activity",
    "schema_questions",
)  # warehouse_settings is not compared: it holds each build's own time


def run_spark_dbt(data_dir: Path, *args: str) -> str:
    """`dbt build --target spark` from the project root on a landing (unit tests are DuckDB's:
    their fixtures are written in its SQL)."""
    env = clean_environment(data_dir)
    dbt = dbt_executable()
    done = subprocess.run(
        [str(dbt), "build", "--target", "spark", "--exclude-resource-type", "unit_test", *args],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    return done.stdout


def spark_table(data_dir: Path, relation: str) -> str:
    """A Spark table's parquet files, for DuckDB to read: a mart by its name, another model by
    schema.name (on Spark each schema is a database, a directory `<schema>.db`)."""
    schema, _, name = relation.rpartition(".")
    database = f"{schema or 'warehouse'}.db"
    return str(data_dir / "spark" / "warehouse" / database / name / "*.parquet")


def differences(
    database: Path, data_dir: Path, relation: str, not_compared: set[str] = NOT_COMPARED
) -> tuple[int, int, int]:
    """(rows compared, rows only on DuckDB, rows only on Spark), doubles to 9 decimals."""
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(
            "create temp table on_spark as select * from read_parquet($files)",
            {"files": spark_table(data_dir, relation)},
        )
        spark_columns = {row[0] for row in con.execute("describe on_spark").fetchall()}
        compared = [
            (name, kind)
            for name, kind, *_ in con.execute(f"describe {relation}").fetchall()
            if name not in not_compared
        ]
        assert {name for name, _ in compared} <= spark_columns, relation
        selected = ", ".join(
            f'round("{name}", 9)' if kind == "DOUBLE" else f'"{name}"' for name, kind in compared
        )
        only_duckdb, only_spark = (
            con.execute(
                f"select count(*) from (select {selected} from {a} except all "
                f"select {selected} from {b})"
            ).fetchone()[0]
            for a, b in ((relation, "on_spark"), ("on_spark", relation))
        )
        rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
    return rows, only_duckdb, only_spark


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, str]:
    """A landing in two batches, each built on DuckDB (incrementally) and on Spark, with an
    external catalogue to cross-match."""
    root = tmp_path_factory.mktemp("spark")
    data_dir, database = root / "data", root / "warehouse.duckdb"
    generated = sample.generate(n_classifications=2_000, n_subjects=100, seed=17)
    fits = root / "nsa.fits"
    write_catalogue(generated, fits)
    converted = subprocess.run(
        [GZ_WAREHOUSE, "catalogue", "import", str(fits)],
        env=clean_environment(data_dir), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert converted.returncode == 0, converted.stderr
    variables = json.dumps(
        {
            "external_catalogue": str(data_dir / "catalogues" / "nsa.parquet"),
            "catalogue_min_total_votes": 10,
        }
    )
    data = StandInData.from_sample(generated)
    # Panoptes counts more for one subject than lands: a row for the mismatch mart to compare
    disputed = int(generated.subjects[0]["id"])
    data.status_overrides[(disputed, WORKFLOW_ID)] = {"classifications_count": 999}
    with standin_server(data) as api:
        data.publish(FIRST_BATCH)
        assert run_ingest(api, data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        run_dbt(data_dir, database, "--vars", variables)
        run_spark_dbt(data_dir, "--vars", variables)
        data.publish_all()
        assert run_ingest(api, data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    run_dbt(data_dir, database, "--vars", variables)
    output = run_spark_dbt(data_dir, "--vars", variables)
    return data_dir, database, output


@pytest.mark.parametrize("mart", MARTS)
def test_every_mart_on_spark_equals_duckdbs(built, mart):
    data_dir, database, output = built
    assert "ERROR=0" in output
    rows, only_duckdb, only_spark = differences(database, data_dir, mart)
    assert rows > 0
    assert (only_duckdb, only_spark) == (0, 0)


def test_votes_and_matches_are_there_to_compare(built):
    _, database, _ = built
    with duckdb.connect(str(database), read_only=True) as con:
        votes, subjects = con.execute(
            "select count(*), count(distinct subject_id) from vote_counts where votes > 0"
        ).fetchone()
        methods = dict(
            con.execute(
                "select match_method, count(*) from gz_decals_dr5_catalogue group by 1"
            ).fetchall()
        )
    assert votes > 1_000 and subjects == 100
    assert methods.get("iauname", 0) > 0 and methods.get("position", 0) > 0


@pytest.mark.parametrize("relation", ["intermediate.flat", "intermediate.derived"])
def test_every_vote_row_on_spark_equals_duckdbs(built, relation):
    data_dir, database, _ = built
    rows, only_duckdb, only_spark = differences(database, data_dir, relation)
    assert rows > 1_000
    assert (only_duckdb, only_spark) == (0, 0)


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory) -> tuple[Path, Path, str, str]:
    """Workflow 4242 of tests/onboarding.py (a typo fixed in a minor version, a fixed-option and
    a cascading dropdown, a seed schema that contradicts the tree) built on DuckDB and on Spark
    from one landing, with the seed rows in a copy of the project."""
    root = tmp_path_factory.mktemp("spark-onboarding")
    data_dir, database = root / "data", root / "warehouse.duckdb"
    project = copy_project(root / "project")
    generated = sample.generate(
        n_classifications=400, n_subjects=30, seed=42, workflows={ONBOARDING_WORKFLOW: versions()}
    )
    with standin_server(StandInData.from_sample(generated)) as api:
        ingested = run_ingest(api, data_dir, "--workflow-id", str(ONBOARDING_WORKFLOW))
        assert ingested.returncode == 0
    project_args = ("--project-dir", str(project), "--profiles-dir", str(project))
    on_duckdb = run_dbt(data_dir, database, *project_args)
    on_spark = run_spark_dbt(data_dir, *project_args)
    return data_dir, database, on_duckdb, on_spark


@pytest.mark.parametrize(
    "relation",
    [
        "intermediate.int_workflow_version_tasks",
        "intermediate.int_answer_mapping",
        "intermediate.derived",
        "intermediate.flat",
        "vote_counts",
    ],
)
def test_dropdowns_and_minor_versions_on_spark_equal_duckdbs(onboarded, relation):
    data_dir, database, _, _ = onboarded
    # _configuration: a digest of text each engine writes its own way, compared only with itself
    not_compared = NOT_COMPARED | {"_configuration"}
    rows, only_duckdb, only_spark = differences(database, data_dir, relation, not_compared)
    assert rows > 0
    assert (only_duckdb, only_spark) == (0, 0)


def test_the_seed_warnings_on_spark_find_what_duckdbs_do(onboarded):
    """The reachability of the parent warning is a recursive query on DuckDB, one join per step
    on Spark: both find the same contradictions."""
    _, _, on_duckdb, on_spark = onboarded
    for test in ("seed_answer_index_matches_tree", "seed_parent_leads_to_question"):
        found = [re.findall(rf" WARN (\d+) {test} ", output) for output in (on_duckdb, on_spark)]
        assert found[0] == found[1] and len(found[0]) == 1, (test, found)
