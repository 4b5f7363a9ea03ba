"""Answer-for-answer parity with panoptes_aggregation 5.3.1 (config, extract, reduce).

The same exports go through `ingest export` + `dbt build` (repeat_classifications: all, which is
what panoptes_aggregation 5.x counts offline) and through panoptes_aggregation's own
config/extract/reduce. panoptes_aggregation keys its counts by slugified answer label; each
version's labels are translated to schema answers through the warehouse's own answer mapping,
and votes are compared per subject and answer.

- The real Superluminous Supernovae export (workflow 10, a project that is not Galaxy Zoo),
  onboarded with seed rows only, written by `gz-warehouse schema init`.
- A generated Galaxy Zoo export across four real workflow versions, run through
  panoptes_aggregation one version at a time (its keys are labels, which differ by version).
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, WORKFLOW_ID, run_dbt, run_export

from standin import lab_exports, sample

pytestmark = pytest.mark.dbt

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
SLSN_WORKFLOW = 10
GZ_VERSIONS = ("46.77", "57.209", "63.286", "66.425")

Counts = dict[tuple[int, str, str], int]  # (subject, question, answer) -> votes


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("parity")
    real = {f"{v['major_number']}.{v['minor_number']}": v for v in sample.workflow_6122_versions()}
    generated = sample.generate(
        n_classifications=2_000,
        n_subjects=80,
        seed=31,
        workflows={WORKFLOW_ID: [real[v] for v in GZ_VERSIONS]},
    )
    gz = lab_exports.write_exports(generated, root / "exports", prefix="gz")
    for args in (
        ["--classifications", str(FIXTURES / "slsn-classifications.csv"),
         "--workflows", str(FIXTURES / "slsn-workflows.csv")],
        ["--classifications", str(gz["classifications"]), "--workflows", str(gz["workflows"])],
    ):  # fmt: skip
        run = run_export(root / "data", *args)
        assert run.returncode == 0, run.output
    database = root / "warehouse.duckdb"
    output = run_dbt(root / "data", database, "--vars", "{repeat_classifications: all}")
    return {"root": root, "database": database, "gz": gz, "output": output}


def warehouse_votes(database: Path, schema: str) -> Counts:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select subject_id, question, answer, votes from vote_counts where schema_name = $s",
            {"s": schema},
        ).fetchall()
    return {(s, q, a): v for s, q, a, v in rows}


def answer_translation(database: Path, workflow_id: int) -> dict[tuple[str, str, str], tuple]:
    """(version, task, slug of the version's raw label) -> (question, answer), mapped only."""
    from panoptes_aggregation.extractors.question_extractor import slugify_or_null

    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            """
            select m.workflow_version, m.task, t.answer_labels_raw[m.answer_index + 1],
                   m.question, m.answer
            from intermediate.int_answer_mapping as m
            inner join intermediate.int_workflow_version_tasks as t
                using (workflow_id, workflow_major, workflow_minor, task)
            where m.workflow_id = $w and m.question is not null
            """,
            {"w": workflow_id},
        ).fetchall()
    return {(v, task, slugify_or_null(label)): (q, a) for v, task, label, q, a in rows}


def aggregate(classifications: Path, workflows: Path, workflow_id: int, version: str, out: Path):
    """panoptes_aggregation config + extract + reduce for one workflow version."""
    from panoptes_aggregation.scripts import config_workflow, extract_csv, reduce_csv

    out.mkdir(parents=True, exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):
        config_workflow(str(workflows), workflow_id, version=version, output_dir=str(out))
        extractor_config = next(out.glob(f"Extractor_config_workflow_{workflow_id}_V*.yaml"))
        extracts = extract_csv(
            str(classifications), str(extractor_config), output_dir=str(out),
            output_name=version, hide_progressbar=True,
        )  # fmt: skip
        extract = next(p for p in extracts if Path(p).name.startswith("question_extractor"))
        reducer_config = next(out.glob("Reducer_config_*_question_extractor.yaml"))
        return reduce_csv(
            extract, str(reducer_config), filter="all", output_dir=str(out),
            output_name=version, hide_progressbar=True,
        )  # fmt: skip


def reduced_votes(reduction_csv: Path, version: str, translation: dict) -> Counts:
    """panoptes_aggregation's per-subject counts, as (subject, question, answer) votes."""
    counts: Counts = defaultdict(int)
    with Path(reduction_csv).open(newline="") as handle:
        for row in csv.DictReader(handle):
            for column, value in row.items():
                if not column.startswith("data.") or column == "data.aggregation_version":
                    continue
                if value in ("", None):
                    continue
                key = translation.get((version, row["task"], column[len("data.") :]))
                if key is not None:
                    counts[(int(row["subject_id"]), *key)] += int(float(value))
    return counts


def assert_same_votes(ours: Counts, theirs: Counts) -> None:
    mismatches = {k: (ours.get(k, 0), theirs.get(k, 0)) for k in set(ours) | set(theirs)
                  if ours.get(k, 0) != theirs.get(k, 0)}  # fmt: skip
    assert not mismatches, sorted(mismatches.items())[:10]
    assert sum(theirs.values()) > 0


def test_superluminous_supernovae_match_panoptes_aggregation(warehouse):
    ours = warehouse_votes(warehouse["database"], "superluminous_supernovae")
    translation = answer_translation(warehouse["database"], SLSN_WORKFLOW)
    reduction = aggregate(
        FIXTURES / "slsn-classifications.csv", FIXTURES / "slsn-workflows.csv", SLSN_WORKFLOW,
        "16.55", warehouse["root"] / "pa-slsn",
    )  # fmt: skip

    assert_same_votes(ours, reduced_votes(reduction, "16.55", translation))
    # and the reference output kept from the same 5.3.1 run
    stored = reduced_votes(FIXTURES / "slsn-question-reducer-5.3.1.csv", "16.55", translation)
    assert_same_votes(ours, stored)
    assert len({s for s, _, _ in ours}) == 7


def test_galaxy_zoo_across_versions_matches_panoptes_aggregation(warehouse):
    ours = warehouse_votes(warehouse["database"], "gz_decals_dr5")
    translation = answer_translation(warehouse["database"], WORKFLOW_ID)
    theirs: Counts = defaultdict(int)
    for version in GZ_VERSIONS:
        reduction = aggregate(
            warehouse["gz"]["classifications"], warehouse["gz"]["workflows"], WORKFLOW_ID,
            version, warehouse["root"] / f"pa-gz-{version}",
        )  # fmt: skip
        for key, votes in reduced_votes(reduction, version, translation).items():
            theirs[key] += votes

    assert_same_votes(ours, theirs)
    # Every version contributes: some of its questions map, so it is counted.
    assert {v for v, _, _ in translation} == set(GZ_VERSIONS)


def test_the_slsn_and_galaxy_zoo_seeds_agree_with_their_landed_trees(warehouse):
    """The seed warnings (answer indices, parents) run and stay silent on both projects."""
    for test in ("seed_answer_index_matches_tree", "seed_parent_leads_to_question"):
        lines = [line for line in warehouse["output"].splitlines() if f" {test} " in line]
        assert any(" PASS " in line for line in lines), test
        assert not any(" WARN " in line for line in lines), test


def test_the_slsn_schema_is_seed_rows_only():
    seeds = PROJECT_ROOT / "seeds"
    with (seeds / "workflow_schema.csv").open(newline="") as handle:
        assert {"superluminous_supernovae": "10"}.items() <= {
            r["schema_name"]: r["workflow_id"] for r in csv.DictReader(handle)
        }.items()
    with (seeds / "question_answer_schema.csv").open(newline="") as handle:
        questions = {r["question"] for r in csv.DictReader(handle)
                     if r["schema_name"] == "superluminous_supernovae"}  # fmt: skip
    # written by `gz-warehouse schema init --schema superluminous_supernovae --workflow-id 10
    # --workflows tests/fixtures/slsn-workflows.csv` (tests/integration/test_schema_init.py)
    assert questions == {"has-the-lightcurve-been-rising", "is-the-cross-hair-in-the-image"}
