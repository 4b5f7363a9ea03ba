"""Every vote accounted for, any project onboarded: a project that is not Galaxy Zoo, whose
workflow fixes a typo in a minor version and asks questions with dropdowns.

Workflow 4242 asks T0 (single choice), then T1, a dropdown with fixed options (a question), then
T2, a cascading dropdown whose second select takes the volunteer's own text (no question). Major
version 2 fixed a typo in T0's question text in minor version 2.11: 2.10's votes count as 2.11's,
while major version 1's (the same typo) stay by label, unmapped. A copy of the project gets the
schema as seed rows, and a second schema that misreads the tree (answer indices, a parent), which
the seed warnings must name. The same classifications land by the API and by a Lab export alike.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import (
    PROJECT_ID,
    landed,
    run_dbt,
    run_export,
    run_ingest,
    standin_server,
    vote_counts_in,
)
from onboarding import WORKFLOW, copy_project, versions
from recount import recount

from standin import lab_exports, sample
from standin.server import StandInData

pytestmark = pytest.mark.dbt

WARNINGS = ("seed_answer_index_matches_tree", "seed_parent_leads_to_question")


def warned(output: str, test: str) -> bool:
    """Whether dbt's output reports the data test as a warning."""
    return any(" WARN " in line and f" {test} " in line for line in output.splitlines())


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("onboarding")
    generated = sample.generate(
        n_classifications=900, n_subjects=60, seed=42, workflows={WORKFLOW: versions()}
    )
    project = copy_project(root / "project")
    with standin_server(StandInData.from_sample(generated)) as api:
        assert run_ingest(api, root / "data", "--workflow-id", str(WORKFLOW)).returncode == 0
    database = root / "warehouse.duckdb"
    output = run_dbt(
        root / "data", database, "--project-dir", str(project), "--profiles-dir", str(project),
        "--store-failures",
    )  # fmt: skip
    return {
        "root": root, "sample": generated, "project": project, "database": database,
        "output": output,
    }  # fmt: skip


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_vote_of_both_minor_versions_counts_as_the_recount_says(onboarded):
    generated = onboarded["sample"]
    made_under = {c["metadata"]["workflow_version"] for c in generated.classifications}
    assert made_under == {"1.5", "2.10", "2.11"}

    unmapped = dict(
        query(
            onboarded["database"],
            "select workflow_version, count(*) from intermediate.flat "
            "where schema_name = 'supernova_sky' and question is null group by 1",
        )
    )
    # 2.10's typo is mapped through 2.11; major version 1's is not (mapped by label).
    assert set(unmapped) == {"1.5"}
    counted = dict(
        query(
            onboarded["database"],
            "select workflow_version, count(*) from intermediate.flat "
            "where schema_name = 'supernova_sky' and question = 'rising' group by 1",
        )
    )
    assert counted["2.10"] > 0 and counted["2.11"] > 0
    expected = recount(
        generated.classifications, generated.workflow_versions, "first",
        seeds=onboarded["project"] / "seeds",
    )  # fmt: skip
    assert vote_counts_in(onboarded["database"]) == expected


def test_a_fixed_option_dropdown_is_a_question_and_a_cascading_one_gives_no_votes(onboarded):
    database = onboarded["database"]
    chosen = {}  # classification -> value chosen in T1
    for c in onboarded["sample"].classifications:
        for annotation in c["annotations"]:
            if annotation["task"] == "T1":
                chosen[int(c["id"])] = annotation["value"][0]["value"]
    positions = {"ori": 0, "lyr": 1, 7: 2}
    answers = {"ori": "orion", "lyr": "lyra", 7: "cygnus"}

    votes = query(
        database,
        "select classification_id, answer_index, answer from intermediate.flat "
        "where schema_name = 'supernova_sky' and task = 'T1'",
    )
    assert len(chosen) > 100
    assert {cid: (index, answer) for cid, index, answer in votes} == {
        cid: (positions[value], answers[value]) for cid, value in chosen.items()
    }
    assert query(database, "select count(*) from intermediate.flat where task = 'T2'") == [(0,)]
    tasks = dict(
        query(
            database,
            "select task, is_fixed_option_dropdown from intermediate.int_workflow_version_tasks "
            "where workflow_id = 4242 and workflow_minor = 11",
        )
    )
    assert tasks == {"T0": False, "T1": True, "T2": False}


def test_seeds_that_contradict_the_tree_are_named_in_warnings(onboarded):
    output = onboarded["output"]
    assert all(warned(output, test) for test in WARNINGS), output[-3000:]

    indices = query(
        onboarded["database"],
        "select distinct schema_name, question, answer, workflow_version, reason "
        "from dbt_test__audit.seed_answer_index_matches_tree",
    )
    assert {(s, q, a, v) for s, q, a, v, _ in indices} == {
        ("misread_sky", "constellation", answer, version)
        for answer in ("lyra", "cygnus") for version in ("1.5", "2.10", "2.11")
    }  # fmt: skip
    assert any(
        r[2] == "lyra" and r[3] == "2.11" and "task T1 has it at index 1" in r[4] for r in indices
    )
    parents = query(
        onboarded["database"],
        "select distinct schema_name, question, parent_question, parent_answer, "
        "workflow_version, reason from dbt_test__audit.seed_parent_leads_to_question",
    )
    # 1.5 does not map `rising` (its typo): only versions that map both are checked
    assert {row[:5] for row in parents} == {
        ("misread_sky", "constellation", "rising", "no", version) for version in ("2.10", "2.11")
    }
    assert all("answer 1 of task T0 does not lead to task T1" in row[5] for row in parents)


def test_the_lab_export_lands_dropdowns_as_the_api_does(onboarded, tmp_path):
    generated = onboarded["sample"]
    paths = lab_exports.write_exports(generated, tmp_path / "exports")
    csv.field_size_limit(sys.maxsize)
    with paths["classifications"].open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    bad = dict(next(r for r in rows if '"T1"' in r["annotations"]))
    bad["classification_id"] = str(int(rows[-1]["classification_id"]) + 1)
    bad["annotations"] = json.dumps(
        [{"task": "T1", "value": "Orion"} if a["task"] == "T1" else a
         for a in json.loads(bad["annotations"])]
    )  # fmt: skip
    with paths["classifications"].open("a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerow(bad)

    run = run_export(
        tmp_path / "data", "--classifications", str(paths["classifications"]),
        "--workflows", str(paths["workflows"]), "--project-id", str(PROJECT_ID),
    )  # fmt: skip

    assert run.returncode == 0, run.output
    from_api = {r["classification_id"]: r for r in landed(onboarded["root"] / "data")}
    from_export = {r["classification_id"]: r for r in landed(tmp_path / "data")}
    assert set(from_export) == set(from_api)
    for cid, row in from_export.items():
        assert json.loads(row["annotations"]) == json.loads(from_api[cid]["annotations"])
    [rejected] = landed(tmp_path / "data", "rejected")
    assert rejected["reason"] == 'T1 dropdown answer is not a list of selections: "Orion"'
