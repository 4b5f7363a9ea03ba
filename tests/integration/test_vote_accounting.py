"""vote_accounting accounts for every landed annotation once, with the reason it is not counted.

A generated sample over two workflow versions of 6122 and a workflow that feeds no schema is
served by the stand-in with a few classifications edited by hand to reach every outcome: a
task answered twice, a null answer, a drawing task, a shortcut task, a task the version does
not have, a version that never lands; the project copy excludes a volunteer and starts the
workflow's version range between the two versions, and a var closes the date window. The mart
is checked against an independent account in Python (tests/accounting.py) per subject, schema
and outcome, and against vote_counts per subject and question.
"""

from __future__ import annotations

import copy
import csv
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from accounting import account
from conftest import WORKFLOW_ID, copy_project, run_dbt, run_ingest, standin_server

from standin import sample
from standin.server import StandInData

pytestmark = pytest.mark.dbt

NO_SCHEMA_WORKFLOW = 4444
VERSIONS = ("46.77", "66.425")
CLASSIFIED_BEFORE = "2020-01-01"
SMOOTH_OR_FEATURED = "Is the galaxy simply smooth and rounded, with no sign of a disk?"


def edited_sample() -> tuple[sample.Sample, dict[str, Any]]:
    real = {f"{v['major_number']}.{v['minor_number']}": v for v in sample.workflow_6122_versions()}
    old, new = (copy.deepcopy(real[v]) for v in VERSIONS)
    new["tasks"]["T90"] = {"type": "drawing", "instruction": "Mark any clumps", "tools": []}
    new["tasks"]["T91"] = {"type": "shortcut", "answers": [{"label": "Nothing odd"}]}
    new["tasks"]["T0"]["unlinkedTask"] = "T91"
    elsewhere = copy.deepcopy(new)
    elsewhere["id"] = "99000444"
    generated = sample.generate(
        n_classifications=600,
        n_subjects=40,
        seed=23,
        workflows={WORKFLOW_ID: [old, new], NO_SCHEMA_WORKFLOW: [elsewhere]},
    )
    latest = [
        c for c in generated.classifications
        if c["links"]["workflow"] == str(WORKFLOW_ID)
        and c["metadata"]["workflow_version"] == VERSIONS[1]
    ]  # fmt: skip
    # edits to classifications every filter lets through, and to any others
    counting = [c for c in latest if c["links"].get("user") and c["created_at"] < CLASSIFIED_BEFORE]
    twice, null, drawing, shortcut, earlier, repeat = counting[:6]
    users = {c["links"]["user"] for c in counting[:6]}
    excluded = next(c for c in counting[6:] if c["links"]["user"] not in users)
    unknown_task, unlanded = [c for c in latest if c not in counting[:6] and c is not excluded][:2]
    repeat["links"]["user"] = earlier["links"]["user"]
    repeat["links"]["subjects"] = list(earlier["links"]["subjects"])
    repeat["created_at"] = max(repeat["created_at"], earlier["created_at"])
    first = twice["annotations"][0]
    twice["annotations"].append({"task": first["task"], "value": ((first["value"] or 0) + 1) % 2})
    null["annotations"][0]["value"] = None
    drawing["annotations"].append({"task": "T90", "value": [{"x": 1.5, "y": 2.5, "tool": 0}]})
    shortcut["annotations"].append({"task": "T91", "value": [0]})
    unknown_task["annotations"].append({"task": "T77", "value": 0})
    unlanded["metadata"]["workflow_version"] = "999.1"
    edited = {
        name: int(c["id"])
        for name, c in [("twice", twice), ("null", null), ("drawing", drawing),
                        ("shortcut", shortcut), ("unknown_task", unknown_task),
                        ("unlanded", unlanded)]
    }  # fmt: skip
    edited["excluded_user"] = excluded["links"]["user"]
    return generated, edited


@pytest.fixture(scope="module")
def accounted(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("accounting")
    generated, edited = edited_sample()
    project = copy_project(root / "project")
    volunteer = edited["excluded_user"]
    with (project / "seeds" / "excluded_volunteers.csv").open("a", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow([volunteer, "test account"])
    # the shortcut, a question of its own, asked as the question showing it + " (shortcut)"
    with (project / "seeds" / "question_answer_schema.csv").open("a", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow([
            "gz_decals_dr5", "smooth-or-featured-shortcut", SMOOTH_OR_FEATURED + " (shortcut)",
            "nothing-odd", "Nothing odd", 0, "", "",
        ])  # fmt: skip
    rows = (project / "seeds" / "workflow_schema.csv").read_text().splitlines()
    rows = [
        line.replace(f",{WORKFLOW_ID},DECaLS DR5,,", f",{WORKFLOW_ID},DECaLS DR5,57.209,")
        for line in rows
    ]
    (project / "seeds" / "workflow_schema.csv").write_text("\n".join(rows) + "\n")

    data_dir, database = root / "data", root / "warehouse.duckdb"
    with standin_server(StandInData.from_sample(generated)) as api:
        run = run_ingest(api, data_dir)
        assert run.returncode == 0, run.output
    output = run_dbt(
        data_dir, database, "--vars", f"{{classified_before: '{CLASSIFIED_BEFORE}'}}",
        project_dir=project,
    )  # fmt: skip
    expected = account(  # every version the stand-in serves lands
        generated.classifications, generated.workflow_versions, seeds=project / "seeds",
        classified_before=CLASSIFIED_BEFORE,
    )  # fmt: skip
    return {"database": database, "expected": expected, "edited": edited, "output": output}


def outcomes_of(database: Path, where: str = "true", params: dict | None = None) -> dict:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            f"select schema_name, subject_id, outcome, outcome_detail, sum(annotations) "
            f"from vote_accounting where {where} group by all",
            params or {},
        ).fetchall()
    return {tuple(row[:4]): int(row[4]) for row in rows}


def classification_outcomes(database: Path, classification_id: int) -> dict:
    """Outcomes of one classification's annotations (its subject's, less the other ones')."""
    with duckdb.connect(str(database), read_only=True) as con:
        subject = con.execute(
            "select subject_id from intermediate.derived where classification_id = $id",
            {"id": classification_id},
        ).fetchall()[0][0]
    return outcomes_of(database, "subject_id = $subject", {"subject": subject})


def test_every_annotation_is_accounted_for_as_an_independent_account_says(accounted):
    built: Counter = Counter()
    for (schema, subject, outcome, _), count in outcomes_of(accounted["database"]).items():
        built[(schema, subject, outcome)] += count
    assert built == accounted["expected"]
    assert {outcome for _, _, outcome in built} == {
        "counted", "repeat classification", "excluded volunteer", "outside date window",
        "outside version range", "not a question", "no answer", "answered again",
        "version not landed", "feeds no schema", "unmapped",
    }  # fmt: skip


def test_counted_annotations_are_the_total_votes_of_vote_counts(accounted):
    with duckdb.connect(str(accounted["database"]), read_only=True) as con:
        differences = con.sql(
            """
            with counted as (
                select schema_name, subject_id, question, sum(annotations) as annotations
                from vote_accounting where outcome = 'counted' group by all
            ),
            totals as (select distinct schema_name, subject_id, question, total_votes
                       from vote_counts where total_votes > 0)
            select * from counted full join totals using (schema_name, subject_id, question)
            where counted.annotations is distinct from totals.total_votes
            """
        ).fetchall()
    assert differences == []
    assert "counted_annotations_are_total_votes" in accounted["output"]
    assert "every_annotation_accounted_once" in accounted["output"]


def test_each_edited_annotation_gets_its_reason(accounted):
    database = accounted["database"]
    with duckdb.connect(str(database), read_only=True) as con:
        details = dict(
            con.sql(
                "select outcome_detail, sum(annotations) from vote_accounting "
                "where outcome in ('unmapped', 'not a question') group by all"
            ).fetchall()
        )
        fractions = con.sql(
            "select max(s) from (select sum(vote_fraction) as s from vote_counts "
            "where question = 'smooth-or-featured' group by subject_id)"
        ).fetchall()[0][0]
        shortcut = con.sql(
            "select answer, sum(votes), sum(total_votes) from vote_counts "
            "where question = 'smooth-or-featured-shortcut' group by answer"
        ).fetchall()
    assert details.get("drawing") == 1
    assert details.get("task not in workflow version") == 1
    # the shortcut is a question of its own, counted like one
    assert "shortcut" not in details
    assert shortcut == [("nothing-odd", 1, 1)]
    # the task answered twice counted once: every single-choice question still sums to 1
    assert fractions == pytest.approx(1.0)
