"""End to end: ingest from the stand-in, `dbt build`, then an incremental ingest + build.

vote_counts is checked against an independent recount in Python (tests/recount.py) for the
default repeat policy (`first`), after the first build and after the incremental one, and so
are the science products (volunteer weights and weighted votes, the proportion asked, the
retirement replay and its summary, the training labels: tests/science_recount.py), every row;
the incremental marts are checked against a --full-refresh build of the same landing.
tests/integration/test_repeat_policies.py does the same for `all` (a module of its own, so
that the two series of builds run side by side).
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
import yaml
from built_warehouse import (
    FIRST_BATCH,
    Warehouse,
    assert_recounted,
    assert_science_recounted,
    build,
    generated_sample,
)
from conftest import WORKFLOW_ID, run_ingest, standin_server

from standin.server import StandInData
from warehouse import schema_docs
from warehouse.dbt import PROJECT_DIR

pytestmark = pytest.mark.dbt

MARTS = [
    "vote_counts",
    "question_predictions",
    "subjects",
    "gz_decals_dr5_vote_fractions",
    "classification_activity",
    "vote_accounting",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("warehouse")
    generated = generated_sample()
    warehouse = Warehouse(root / "data", generated)
    first_db = root / "first.duckdb"
    data = StandInData.from_sample(generated)
    with standin_server(data) as api:
        data.publish(FIRST_BATCH)
        assert (
            run_ingest(api, warehouse.data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        )
        build(warehouse, "first/initial", first_db)
        data.publish_all()
        assert (
            run_ingest(api, warehouse.data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        )
    build(warehouse, "first/incremental", first_db)
    shutil.copy(first_db, root / "refreshed.duckdb")
    build(warehouse, "first/full-refresh", root / "refreshed.duckdb", "--full-refresh")
    return warehouse


@pytest.mark.parametrize(
    ("build_name", "published"),
    [("first/initial", FIRST_BATCH), ("first/incremental", None)],
)
def test_vote_counts_equal_an_independent_recount(warehouse, build_name, published):
    assert_recounted(warehouse, build_name, "first", published)


@pytest.mark.parametrize(
    ("build_name", "published"),
    [("first/initial", FIRST_BATCH), ("first/incremental", None), ("first/full-refresh", None)],
)
def test_science_products_equal_an_independent_recount(warehouse, build_name, published):
    """Volunteer weights (a contrarian volunteer in 25 weighs less than 1: generated_sample),
    weighted votes, the proportion asked, the retirement replay and the training labels."""
    assert_science_recounted(warehouse, build_name, "first", published)


def test_an_incremental_build_derives_only_the_new_classifications(warehouse):
    database = warehouse.data_dir.parent / "first.duckdb"
    new = warehouse.sample.classifications[FIRST_BATCH:]
    with duckdb.connect(str(database), read_only=True) as con:
        latest = con.execute(
            "select count(*), count(distinct classification_id), min(classification_id) "
            "from intermediate.derived "
            "where _loaded_at = (select max(_loaded_at) from intermediate.derived)"
        ).fetchone()
        flat_latest = con.execute(
            "select count(distinct classification_id) from intermediate.flat "
            "where _loaded_at = (select max(_loaded_at) from intermediate.flat)"
        ).fetchone()
        counts_latest = con.execute(
            "select count(distinct subject_id) from vote_counts "
            "where _loaded_at = (select max(_loaded_at) from vote_counts)"
        ).fetchone()
    assert latest == (
        sum(len(c["annotations"]) for c in new),
        len(new),
        int(new[0]["id"]),
    )
    assert flat_latest == (len(new),)
    touched = {int(c["links"]["subjects"][0]) for c in new}
    assert counts_latest == (len(touched),)


def _exact_but_floats(row: tuple) -> tuple:
    """Floats to 12 significant digits: a product or sum aggregated in parallel may differ in
    its last bit from one run to the next (0.04761904761904762 vs ...616)."""
    return tuple(float(f"{value:.12g}") if isinstance(value, float) else value for value in row)


def test_incremental_marts_equal_a_full_refresh(warehouse):
    root = warehouse.data_dir.parent
    for mart in [*MARTS, "intermediate.derived", "intermediate.flat"]:
        query = f"select * exclude (_loaded_at) from {mart}"
        builds = {}
        for name in ("first", "refreshed"):
            with duckdb.connect(str(root / f"{name}.duckdb"), read_only=True) as con:
                rows = [_exact_but_floats(row) for row in con.execute(query).fetchall()]
            builds[name] = sorted(rows, key=repr)
        assert builds["first"] == builds["refreshed"], mart


def test_unmapped_votes_are_kept_visible_and_warned_about(warehouse):
    output = warehouse.builds["first/incremental"].output
    assert "WARN" in output and "unmapped_votes" in output
    with duckdb.connect(str(warehouse.data_dir.parent / "first.duckdb"), read_only=True) as con:
        reasons = dict(
            con.execute(
                "select unmapped_reason, count(*) from intermediate.flat where question is null "
                "group by unmapped_reason"
            ).fetchall()
        )
    # Version 63.286 asked T11 about tidal debris: never mapped onto 66.425's answers.
    assert any("tidal debris" in reason for reason in reasons)


SEED_WARNINGS = ("seed_answer_index_matches_tree", "seed_parent_leads_to_question")


def test_the_seeds_agree_with_every_landed_tree(warehouse):
    """GZ DECaLS DR5's answer indices and parents hold in the 24 landed versions of 6122: the
    seed warnings run on every build and none warns."""
    for name, built in warehouse.builds.items():
        for test in SEED_WARNINGS:
            lines = [line for line in built.output.splitlines() if f" {test} " in line]
            assert any(" PASS " in line for line in lines), (name, test)
            assert not any(" WARN " in line for line in lines), (name, test)


def test_the_catalogue_has_one_row_per_subject_in_the_galaxy_zoo_convention(warehouse):
    with duckdb.connect(str(warehouse.data_dir.parent / "first.duckdb"), read_only=True) as con:
        relation = con.sql("select * from gz_decals_dr5_vote_fractions")
        columns = relation.columns
        rows = relation.fetchall()
        n_subjects = con.execute(
            "select count(distinct subject_id) from vote_counts where schema_name = 'gz_decals_dr5'"
        ).fetchone()[0]
    assert columns[:5] == ["iauname", "ra", "dec", "subject_id", "image_url"]
    assert "smooth-or-featured_total-votes" in columns
    assert "smooth-or-featured_smooth" in columns
    assert "smooth-or-featured_smooth_fraction" in columns
    assert "rare-features_nothing-unusual_fraction" in columns
    assert len(rows) == n_subjects
    record = dict(zip(columns, rows[0], strict=True))
    assert record["iauname"].startswith("J")
    total = record["smooth-or-featured_total-votes"]
    answers = ("smooth", "featured-or-disk", "artifact")
    assert sum(record[f"smooth-or-featured_{a}"] for a in answers) == total
    counts = warehouse.builds["first/incremental"].vote_counts
    expected = counts[("gz_decals_dr5", record["subject_id"], "smooth-or-featured", "smooth")]
    assert (record["smooth-or-featured_smooth"], total) == expected


def test_the_wide_columns_are_the_ones_schema_docs_documents(warehouse):
    """The wide mart's columns come from the dbt macro, their documentation from schema_docs.py:
    both derive the names from the seed, and must agree on every one and on their order."""
    with duckdb.connect(str(warehouse.data_dir.parent / "first.duckdb"), read_only=True) as con:
        built = con.execute(
            "select column_name from information_schema.columns "
            "where table_name = 'gz_decals_dr5_vote_fractions' order by ordinal_position"
        ).fetchall()
    properties = yaml.safe_load(schema_docs.render_properties(PROJECT_DIR, "gz_decals_dr5"))
    [model] = [m for m in properties["models"] if m["name"] == "gz_decals_dr5_vote_fractions"]
    assert [name for (name,) in built] == [column["name"] for column in model["columns"]]
