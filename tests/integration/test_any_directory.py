"""The warehouse file works from any directory, and each layer has its schema.

Built as a user's plain `dbt build` in the repository builds it (the data directory, the
database in it and the external catalogue given as paths relative to the project root), the
file is opened read-only by another process in another directory, as a BI tool or a notebook
opens it: every table and view in it reads, and the marts are where analysts look for them.
The data directory's path holds a quote and a space, which every SQL literal of a path escapes.
"""

from __future__ import annotations

import csv
import json
import os
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
    standin_server,
)

from standin.server import StandInData
from warehouse.dbt import dbt_executable
from warehouse.published import mart_files

pytestmark = pytest.mark.dbt

MARTS = {
    "vote_counts",
    "question_predictions",
    "subjects",
    "classification_activity",
    "gz_decals_dr5_vote_fractions",
    "gz_decals_dr5_catalogue",
    "superluminous_supernovae_vote_fractions",  # written by gz-warehouse schema init
    "outstanding_rejections",
    "vote_accounting",
    "classification_count_mismatches",
    "volunteer_weights",
    "retirement_replay",
    "retirement_replay_summary",
    "training_labels",
    "warehouse_settings",
    "workflows",
    "volunteer_activity",
    "volunteers",
    "subject_activity",
    "schema_questions",
}
SEEDS = {
    "question_answer_schema",
    "workflow_schema",
    "label_aliases",
    "excluded_volunteers",
    "retirement_rules",
    "schema_campaigns",
}

# Run by a second Python in another directory: one row of every relation, and a mart by its
# bare name. Prints what it read and what failed, as JSON.
READ_EVERY_RELATION = """
import json, sys, duckdb

failures = {}
with duckdb.connect(sys.argv[1], read_only=True) as con:
    relations = con.execute(
        "select schema_name, table_name from duckdb_tables() where not internal "
        "union all "
        "select schema_name, view_name from duckdb_views() where not internal"
    ).fetchall()
    for schema, name in relations:
        try:
            con.execute(f'select * from "{schema}"."{name}" limit 1').fetchall()
        except duckdb.Error as error:
            failures[f"{schema}.{name}"] = str(error)
    votes = con.execute("select count(*) from vote_counts").fetchall()[0][0]
print(json.dumps({
    "relations": [f"{schema}.{name}" for schema, name in relations],
    "failures": failures,
    "votes": votes,
}))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory, small_sample) -> Path:
    root = tmp_path_factory.mktemp("any_directory") / "Zooniverse's own data"
    with standin_server(StandInData.from_sample(small_sample)) as api:
        assert run_ingest(api, root / "data", "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    with (root / "data" / "nsa.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["iauname", "ra", "dec"])
        for subject in small_sample.subjects[:10]:
            metadata = subject["metadata"]
            writer.writerow([metadata["!iauname"], metadata["!ra"], metadata["!dec"]])
    # WAREHOUSE_DATA_DIR=data, as the default is: a path relative to the project root
    data_dir = Path(os.path.relpath(root / "data", PROJECT_ROOT))
    variables = {"external_catalogue": str(data_dir / "nsa.csv")}
    run_dbt(data_dir, data_dir / "warehouse.duckdb", "--vars", json.dumps(variables))
    return root / "data" / "warehouse.duckdb"


def test_every_relation_reads_from_another_directory(built, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", READ_EVERY_RELATION, str(built.resolve())],
        cwd=elsewhere, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    read = json.loads(done.stdout)
    assert read["failures"] == {}
    assert {relation.split(".")[1] for relation in read["relations"]} >= MARTS | SEEDS | {
        "stg_panoptes__classifications",
        "stg_panoptes__subjects",
        "stg_panoptes__workflow_versions",
        "external_catalogue",
        "derived",
        "flat",
    }
    assert read["votes"] > 0


def test_a_data_directory_with_a_quote_and_a_space_is_read_as_it_is(built, small_sample):
    assert "'" in str(built.parent) and " " in str(built.parent)
    with duckdb.connect(str(built), read_only=True) as con:
        [(landed,)] = con.execute(
            "select count(*) from staging.stg_panoptes__classifications"
        ).fetchall()
    assert landed == len(small_sample.classifications)
    published = set(mart_files(built.parent / "marts"))
    assert "vote_counts" in published


def relations_by_schema(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The names of the tables and views of each schema of a warehouse."""
    schemas: dict[str, set[str]] = {}
    for schema, name in con.execute(
        "select schema_name, table_name from duckdb_tables() where not internal "
        "union all "
        "select schema_name, view_name from duckdb_views() where not internal"
    ).fetchall():
        schemas.setdefault(schema, set()).add(name)
    return schemas


def test_each_layer_has_its_schema_and_the_marts_stay_in_main(built):
    with duckdb.connect(str(built), read_only=True) as con:
        schemas = relations_by_schema(con)
        catalogued = con.execute(
            "select count(*) from gz_decals_dr5_catalogue where match_method is not null"
        ).fetchall()[0][0]
    assert schemas["main"] == MARTS
    assert schemas["seeds"] == SEEDS
    assert schemas["staging"] == {
        "stg_panoptes__classifications",
        "stg_panoptes__subjects",
        "stg_panoptes__workflow_versions",
        "stg_panoptes__rejected",
        "stg_panoptes__subject_workflow_statuses",
        "stg_panoptes__projects",
        "stg_panoptes__workflows",
        "external_catalogue",
    }
    assert {"derived", "flat", "int_answer_votes", "int_catalogue_crossmatch"} <= schemas[
        "intermediate"
    ]
    assert all(name.startswith("int_") or name in ("derived", "flat")
               for name in schemas["intermediate"])  # fmt: skip
    assert set(schemas) == {"main", "seeds", "staging", "intermediate"}
    # the relative catalogue path was read, and the marts are published where they were
    assert catalogued > 0
    assert set(mart_files(built.parent / "marts")) == MARTS


@pytest.mark.slow  # another build over an older one: `make test-slow`
def test_what_an_older_build_left_in_main_is_dropped_once(built, tmp_path):
    """A warehouse built before one schema per layer keeps its old copies in main until
    `dbt run-operation drop_moved_relations` drops them; the marts stay."""
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(built, database)
    with duckdb.connect(str(database)) as con:
        con.execute("create table main.flat as select * from intermediate.flat")
        con.execute("create table main.workflow_schema as select * from seeds.workflow_schema")
        con.execute(
            "create view main.stg_panoptes__subjects as "
            "select * from staging.stg_panoptes__subjects"
        )
    env = clean_environment(built.parent) | {"WAREHOUSE_DB": str(database)}
    for _ in range(2):  # the second run finds nothing to drop
        done = subprocess.run(
            [dbt_executable(), "run-operation", "drop_moved_relations"],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    with duckdb.connect(str(database), read_only=True) as con:
        main = relations_by_schema(con)["main"]
        flat = con.execute("select count(*) from intermediate.flat").fetchall()[0][0]
    assert main == MARTS
    assert flat > 0
