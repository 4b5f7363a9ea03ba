"""Onboarding a project without a hand-written row: three commands, then panoptes_aggregation's
counts.

In a copy of the dbt project, each project is `python -m ingest export` (classifications and
workflows), then `gz-warehouse schema init` (Superluminous Supernovae from the workflows export,
Fossil Finder from the versions that landed), and one `dbt build` (repeat_classifications: all,
what panoptes_aggregation 5.x counts offline) builds both. vote_counts must equal the stored
panoptes_aggregation 5.3.1 reductions per subject, question and answer: its keys are slugs of the
export's labels, translated to schema answers through the written seed rows' answer_text slugged
the same way, and its tasks to schema questions through the warehouse's answer mapping.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from conftest import (
    GZ_WAREHOUSE,
    PROJECT_ROOT,
    clean_environment,
    copy_project,
    run_dbt,
    run_export,
)

pytestmark = pytest.mark.dbt

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
SLSN = "superluminous_supernovae"
FOSSILS = "fossil_finder"
FOSSIL_WORKFLOW = 371
GENERATED = (  # what schema init writes for a schema, relative to the project
    "models/marts/{schema}_vote_fractions.sql",
    "models/marts/_{schema}__models.yml",
)
SEEDS = ("question_answer_schema", "label_aliases", "workflow_schema")

Counts = dict[tuple[int, str, str], int]  # (subject, question, answer) -> votes


def schema_init(data_dir: Path, project: Path, *args: str) -> subprocess.CompletedProcess:
    """``gz-warehouse schema init`` as a user runs it."""
    return subprocess.run(
        [GZ_WAREHOUSE, "schema", "init", "--project-dir", str(project), *args],
        env=clean_environment(data_dir), capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("schema_init")
    project = copy_project(root / "project")
    data = root / "data"
    outputs = {}
    for schema, classifications, workflows, init_args in (
        (SLSN, "slsn-classifications.csv", "slsn-workflows.csv",
         ["--workflow-id", "10", "--workflows", str(FIXTURES / "slsn-workflows.csv")]),
        (FOSSILS, "fossil-finder-classifications.csv", "fossil-finder-workflows.csv",
         ["--workflow-id", str(FOSSIL_WORKFLOW)]),  # from the landing
    ):  # fmt: skip
        exported = run_export(
            data, "--classifications", str(FIXTURES / classifications),
            "--workflows", str(FIXTURES / workflows),
        )  # fmt: skip
        assert exported.returncode == 0, exported.output
        assert re.search(r"rejected rows +0\n", exported.stdout), exported.stdout
        done = schema_init(data, project, "--schema", schema, *init_args)
        assert done.returncode == 0, done.stdout + done.stderr
        outputs[schema] = done.stdout
    database = root / "warehouse.duckdb"
    run_dbt(data, database, "--vars", "{repeat_classifications: all}", project_dir=project)
    return {"root": root, "project": project, "data": data, "database": database, **outputs}


def seed_rows(project: Path, seed: str, schema: str) -> list[dict[str, str]]:
    with (project / "seeds" / f"{seed}.csv").open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["schema_name"] == schema]


def warehouse_votes(database: Path, schema: str) -> Counts:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select subject_id, question, answer, votes from vote_counts "
            "where schema_name = $s and votes > 0",
            {"s": schema},
        ).fetchall()
    return {(s, q, a): v for s, q, a, v in rows}


def task_questions(database: Path, workflow_id: int) -> dict[str, str]:
    """Each task of the workflow to the schema question the warehouse counts it under."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select distinct task, question from intermediate.int_answer_mapping "
            "where workflow_id = $w and question is not null",
            {"w": workflow_id},
        ).fetchall()
    questions = dict(rows)
    assert len(questions) == len(rows), rows
    return questions


def reference_votes(
    reduction: Path, questions: dict[str, str], project: Path, schema: str
) -> tuple[Counts, Counter]:
    """panoptes_aggregation's counts as (subject, question, answer) votes, and its `None`
    counts per (subject, task), kept apart."""
    from panoptes_aggregation.extractors.question_extractor import slugify_or_null

    answers = {
        (row["question"], slugify_or_null(row["answer_text"])): row["answer"]
        for row in seed_rows(project, "question_answer_schema", schema)
    }
    votes: Counts = {}
    nulls: Counter = Counter()
    with reduction.open(newline="") as handle:
        for row in csv.DictReader(handle):
            for column, value in row.items():
                if not column.startswith("data.") or column == "data.aggregation_version":
                    continue
                if value in ("", None) or float(value) == 0:
                    continue
                key = column.removeprefix("data.")
                if key == "None":
                    nulls[(int(row["subject_id"]), row["task"])] += int(float(value))
                    continue
                question = questions[row["task"]]
                votes[(int(row["subject_id"]), question, answers[(question, key)])] = int(
                    float(value)
                )
    return votes, nulls


def null_annotations(classifications: Path, workflow_id: int) -> Counter:
    """Annotations of the export whose value is null, per (subject, task)."""
    found: Counter = Counter()
    with classifications.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if int(row["workflow_id"]) != workflow_id:
                continue
            for annotation in json.loads(row["annotations"]):
                if annotation["value"] is None:
                    found[(int(row["subject_ids"]), annotation["task"])] += 1
    return found


def test_the_committed_slsn_schema_is_what_schema_init_writes(onboarded):
    project = onboarded["project"]
    for seed in SEEDS:
        assert seed_rows(project, seed, SLSN) == seed_rows(PROJECT_ROOT, seed, SLSN), seed
        # markdown needs no alias: the models clean it away as the seed renders it
        assert bool(seed_rows(project, seed, FOSSILS)) == (seed != "label_aliases"), seed
    for generated in GENERATED:
        path = generated.format(schema=SLSN)
        assert (project / path).read_text() == (PROJECT_ROOT / path).read_text(), path
    assert "16.55 T0 single 'Has the lightcurve been rising" in onboarded[SLSN]
    assert "-> has-the-lightcurve-been-rising (2 answers)" in onboarded[SLSN]


def test_superluminous_supernovae_equal_panoptes_aggregation(onboarded):
    ours = warehouse_votes(onboarded["database"], SLSN)
    questions = task_questions(onboarded["database"], 10)
    theirs, nulls = reference_votes(
        FIXTURES / "slsn-question-reducer-5.3.1.csv", questions, onboarded["project"], SLSN
    )
    assert ours == theirs
    assert not nulls
    assert {question for _, question, _ in ours} == set(questions.values())


def test_fossil_finder_equals_panoptes_aggregation(onboarded):
    ours = warehouse_votes(onboarded["database"], FOSSILS)
    questions = task_questions(onboarded["database"], FOSSIL_WORKFLOW)
    assert set(questions) == {"T5", "T2", "T4"}  # the reference's tasks
    theirs, nulls = reference_votes(
        FIXTURES / "fossil-finder-question-reducer-5.3.1.csv",
        questions,
        onboarded["project"],
        FOSSILS,
    )
    assert ours == theirs
    assert len({subject for subject, _, _ in ours}) == 15
    # panoptes_aggregation counts a null answer as a vote for `None`; here it is no vote
    expected_nulls = null_annotations(
        FIXTURES / "fossil-finder-classifications.csv", FOSSIL_WORKFLOW
    )
    assert nulls == expected_nulls == Counter({(910799, "T5"): 1})


def test_the_fossil_finder_tree_and_report(onboarded):
    rows = seed_rows(onboarded["project"], "question_answer_schema", FOSSILS)
    parents = {r["question"]: (r["parent_question"], r["parent_answer"]) for r in rows}
    assert parents == {
        "is-the-image-good-enough-to": ("", ""),
        "what-is-the-density-of-surface": ("is-the-image-good-enough-to", "ok-to-study"),
        "what-is-the-surface-mostly-made": ("what-is-the-density-of-surface", "0-20"),
    }
    texts = {r["question"]: r["question_text"] for r in rows}
    assert texts["is-the-image-good-enough-to"] == (
        "Is the image good enough to study? not all the pictures are awesome, tell us why"
    )
    [workflow] = seed_rows(onboarded["project"], "workflow_schema", FOSSILS)
    assert workflow == {
        "schema_name": FOSSILS, "project_id": "", "workflow_id": "371",
        "workflow_name": "Fossil Finder", "min_workflow_version": "", "max_workflow_version": "",
    }  # fmt: skip
    report = onboarded[FOSSILS]
    assert "160.317 T1 drawing: not a question" in report
    assert "-> what-is-the-surface-mostly-made (2 answers)" in report
    with duckdb.connect(str(onboarded["database"]), read_only=True) as con:
        [(subjects,)] = con.execute("select count(*) from fossil_finder_vote_fractions").fetchall()
    assert subjects == 15
