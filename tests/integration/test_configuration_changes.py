"""A change of a seed or of a var the models read is reflected by the next plain `dbt build`.

One landing (a generated Galaxy Zoo export over four real workflow versions, and the real
Superluminous Supernovae export: two schemas) is built once, then changed one kind at a time
in a copy of the project: the schema's answers, label aliases, workflow_schema, excluded
volunteers, and the vars. After each change, a plain incremental build of the warehouse must
equal a --full-refresh build of the same configuration, row for row in every incremental model
and mart, and a change to one schema must leave the other schema's rows as they were.

A dozen builds in a row: marked slow, run by `make test-slow` (and by .ci/run after the default
tests).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import (
    PROJECT_ROOT,
    WORKFLOW_ID,
    copy_project,
    rows_but_load_time,
    run_dbt,
    run_export,
)

from standin import lab_exports, sample

# a dozen builds in a row: `make test-slow` (run by .ci/run after the default tests)
pytestmark = [pytest.mark.dbt, pytest.mark.slow]

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
GZ_VERSIONS = ("46.77", "57.209", "63.286", "66.425")
RELATIONS = (
    "intermediate.flat",
    "intermediate.int_answer_votes",
    "main.vote_counts",
    "main.question_predictions",
    "main.vote_accounting",
    "main.gz_decals_dr5_vote_fractions",
    "main.subjects",
    "main.volunteer_weights",
    "main.retirement_replay",
    "main.gz_decals_dr5_catalogue",
)


class Project:
    """A landing, a copy of the dbt project, and two warehouses built from them: one built
    incrementally through every change, one rebuilt with --full-refresh after each."""

    def __init__(self, root: Path) -> None:
        self.data_dir = root / "data"
        self.project = copy_project(root / "project")
        self.incremental = root / "incremental.duckdb"
        self.reference = root / "reference.duckdb"
        self.vars: dict[str, object] = {}

    def seed_rows(self, name: str) -> list[dict[str, str]]:
        with (self.project / "seeds" / f"{name}.csv").open(newline="") as handle:
            return list(csv.DictReader(handle))

    def write_seed(self, name: str, rows: list[dict[str, str]]) -> None:
        path = self.project / "seeds" / f"{name}.csv"
        with path.open(newline="") as handle:
            header = next(csv.reader(handle))
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)

    def build(self, database: Path, *args: str) -> str:
        return run_dbt(
            self.data_dir, database, "--vars", yaml.safe_dump(self.vars or {}), *args,
            project_dir=self.project,
        )  # fmt: skip

    def rebuild_both(self) -> str:
        output = self.build(self.incremental)
        self.build(self.reference, "--full-refresh", "--exclude", "resource_type:test")
        return output


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("configuration")
    real = {f"{v['major_number']}.{v['minor_number']}": v for v in sample.workflow_6122_versions()}
    generated = sample.generate(
        n_classifications=1_200,
        n_subjects=60,
        seed=17,
        workflows={WORKFLOW_ID: [real[v] for v in GZ_VERSIONS]},
    )
    gz = lab_exports.write_exports(generated, root / "exports", prefix="gz")
    project = Project(root)
    for args in (
        ["--classifications", str(gz["classifications"]), "--workflows", str(gz["workflows"]),
         "--subjects", str(gz["subjects"])],
        ["--classifications", str(FIXTURES / "slsn-classifications.csv"),
         "--workflows", str(FIXTURES / "slsn-workflows.csv")],
    ):  # fmt: skip
        run = run_export(project.data_dir, *args)
        assert run.returncode == 0, run.output
    project.build(project.incremental)
    return project


def assert_equals_full_refresh(project: Project) -> None:
    for relation in RELATIONS:
        built = rows_but_load_time(project.incremental, relation)
        reference = rows_but_load_time(project.reference, relation)
        assert built[0] == reference[0], f"{relation}: columns differ"
        assert built[1] == reference[1], f"{relation}: rows differ from a --full-refresh build"


def loaded_at(database: Path, schema_name: str) -> set:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select distinct _loaded_at from vote_counts where schema_name = $schema",
            {"schema": schema_name},
        ).fetchall()
    return {row[0] for row in rows}


def counted_votes(database: Path, schema_name: str) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "select coalesce(sum(annotations), 0) from vote_accounting "
            "where schema_name = $schema and outcome = 'counted'",
            {"schema": schema_name},
        ).fetchall()[0][0]


def test_a_seeded_answer_label_change_recomputes_its_schema_only(project):
    slsn_before = loaded_at(project.incremental, "superluminous_supernovae")
    counted_before = counted_votes(project.incremental, "gz_decals_dr5")
    rows = project.seed_rows("question_answer_schema")
    for row in rows:
        if row["schema_name"] != "gz_decals_dr5":
            continue
        if (row["question"], row["answer"]) == ("smooth-or-featured", "smooth"):
            row["answer_text"] = "Smoth"  # a typo: the question's votes no longer map
        if (row["question"], row["answer"]) == ("bar", "weak"):
            row["answer"] = "weak-bar"  # a new answer name: a catalogue column renamed
    project.write_seed("question_answer_schema", rows)

    project.rebuild_both()

    assert_equals_full_refresh(project)
    assert counted_votes(project.incremental, "gz_decals_dr5") < counted_before
    assert loaded_at(project.incremental, "superluminous_supernovae") == slsn_before
    columns, _ = rows_but_load_time(project.incremental, "main.gz_decals_dr5_vote_fractions")
    assert "bar_weak-bar_fraction" in columns and "bar_weak_fraction" not in columns


def test_a_label_alias_maps_the_votes_again(project):
    aliases = project.seed_rows("label_aliases")
    aliases.append({
        "schema_name": "gz_decals_dr5", "label_kind": "answer", "label": "smooth",
        "question": "smooth-or-featured", "answer": "smooth",
    })  # fmt: skip
    project.write_seed("label_aliases", aliases)

    project.rebuild_both()

    assert_equals_full_refresh(project)
    with duckdb.connect(str(project.incremental), read_only=True) as con:
        unmapped = con.sql(
            "select count(*) from vote_accounting where outcome = 'unmapped' "
            "and outcome_detail like '%smooth-or-featured%'"
        ).fetchall()[0][0]
    assert unmapped == 0


def test_a_version_range_and_a_workflow_leaving_its_schema(project):
    rows = [r for r in project.seed_rows("workflow_schema") if r["workflow_id"] != "10"]
    for row in rows:
        if row["workflow_id"] == str(WORKFLOW_ID):
            row["min_workflow_version"] = "57.209"
    project.write_seed("workflow_schema", rows)

    project.rebuild_both()

    assert_equals_full_refresh(project)
    assert loaded_at(project.incremental, "superluminous_supernovae") == set()
    with duckdb.connect(str(project.incremental), read_only=True) as con:
        outcomes = dict(
            con.sql(
                "select outcome, sum(annotations) from vote_accounting group by outcome"
            ).fetchall()
        )
    assert outcomes["outside version range"] > 0 and outcomes["feeds no schema"] > 0


def test_an_excluded_volunteer(project):
    with duckdb.connect(str(project.incremental), read_only=True) as con:
        volunteer = con.sql(
            "select user_id from intermediate.flat where user_id is not null "
            "group by user_id order by count(*) desc limit 1"
        ).fetchall()[0][0]
    project.write_seed("excluded_volunteers", [{"user_id": str(volunteer), "reason": "test"}])

    project.rebuild_both()

    assert_equals_full_refresh(project)
    assert counted_votes(project.incremental, "gz_decals_dr5") > 0


def test_the_vars_counting_reads(project):
    project.vars = {
        "repeat_classifications": "last",
        "classified_before": "2019-06-01",
        "fraction_interval_level": 0.95,
        "catalogue_min_total_votes": 3,
    }

    project.rebuild_both()

    assert_equals_full_refresh(project)


def test_a_build_with_nothing_changed_recomputes_nothing(project):
    before = loaded_at(project.incremental, "gz_decals_dr5")
    project.build(project.incremental)
    assert loaded_at(project.incremental, "gz_decals_dr5") == before
