"""The project's name and its workflows' retirement rules land from the API and from a Lab
workflows export, and the `workflows` mart reports retirement from Panoptes' statuses where
they landed, else from the landed rule, never from a guessed count."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import duckdb
import orjson
import pytest
import requests
from conftest import (
    OTHER_WORKFLOW_ID,
    PROJECT_ID,
    WORKFLOW_ID,
    landed,
    run_dbt,
    run_export,
    run_ingest,
    standin_server,
)

from standin import sample
from standin.lab_exports import write_exports
from standin.server import ACCEPT, Fault, StandInData


def _two_workflows() -> sample.Sample:
    """Two workflows of project 5733 over 30 subjects: many subjects reach the rule's 25."""
    latest = copy.deepcopy(sample.workflow_6122_versions()[-1])
    latest["id"] = "99000001"
    return sample.generate(
        n_classifications=1_600,
        n_subjects=30,
        seed=19,
        workflows={WORKFLOW_ID: list(sample.workflow_6122_versions()), OTHER_WORKFLOW_ID: [latest]},
    )


def _reaching(generated: sample.Sample, workflow_id: int, count: int) -> tuple[int, int, int]:
    """(subjects, classifications, subjects with at least ``count``) of a workflow."""
    per_subject = Counter(
        c["links"]["subjects"][0]
        for c in generated.classifications
        if int(c["links"]["workflow"]) == workflow_id
    )
    reached = sum(1 for n in per_subject.values() if n >= count)
    return len(per_subject), sum(per_subject.values()), reached


@pytest.mark.dbt
def test_workflows_mart_takes_retirement_from_statuses_else_from_the_landed_rule(tmp_path):
    generated = _two_workflows()
    data_dir = tmp_path / "data"
    database = tmp_path / "warehouse.duckdb"
    # The API lands workflow 6122's classifications and statuses, the project and both
    # workflows' records; the export then lands workflow 10581's classifications, of which no
    # status ever lands, and every version row of the workflows export.
    with standin_server(StandInData.from_sample(generated)) as api:
        run = run_ingest(api, data_dir, "--workflow-id", str(WORKFLOW_ID))
    assert run.returncode == 0, run.output
    assert "new project snapshots          1" in run.stdout
    assert "new workflow snapshots         2" in run.stdout
    exports = write_exports(generated, tmp_path / "exports")
    run = run_export(
        data_dir, "--classifications", str(exports["classifications"]),
        "--workflows", str(exports["workflows"]), "--project-id", str(PROJECT_ID),
    )  # fmt: skip
    assert run.returncode == 0, run.output

    projects = landed(data_dir, "projects")
    assert [(p["project_id"], p["display_name"], p["slug"]) for p in projects] == [
        (PROJECT_ID, "Galaxy Zoo", "zookeeper/galaxy-zoo")
    ]
    workflows = landed(data_dir, "workflows")
    from_api = {w["workflow_id"]: w for w in workflows if w["source"] == "api"}
    assert sorted(from_api) == [WORKFLOW_ID, OTHER_WORKFLOW_ID]
    assert from_api[WORKFLOW_ID]["display_name"] == sample.WORKFLOW_NAME
    assert from_api[WORKFLOW_ID]["workflow_version"] == "66.425"
    # the export's version rows carry the retirement rule; the latest version's row is the
    # API's snapshot already, so only the older versions of 6122 land from it
    from_export = [w for w in workflows if w["source"] == "export"]
    assert len(from_export) == len(generated.workflow_versions) - 2
    rule = {"criteria": "classification_count", "options": {"count": sample.RETIREMENT_COUNT}}
    assert all(orjson.loads(w["retirement"]) == rule for w in workflows)
    assert {(w["workflow_id"], w["project_id"], w["active"]) for w in from_export} == {
        (WORKFLOW_ID, PROJECT_ID, True)
    }

    run_dbt(data_dir, database, "--select", "+workflows")
    with duckdb.connect(str(database), read_only=True) as con:
        relation = con.sql("select * from workflows order by workflow_id")
        columns = relation.columns
        rows = {row[3]: dict(zip(columns, row, strict=True)) for row in relation.fetchall()}
        retired_by_panoptes = con.execute(
            "select count(*) from staging.stg_panoptes__subject_workflow_statuses "
            f"where workflow_id = {WORKFLOW_ID} and retired_at is not null"
        ).fetchone()[0]

    assert sorted(rows) == [WORKFLOW_ID, OTHER_WORKFLOW_ID]
    for workflow_id, source in ((WORKFLOW_ID, "panoptes"), (OTHER_WORKFLOW_ID, "rule")):
        subjects, classifications, reached = _reaching(
            generated, workflow_id, sample.RETIREMENT_COUNT
        )
        assert reached > 0
        row = rows[workflow_id]
        assert row["project_id"] == PROJECT_ID
        assert row["project_name"] == "Galaxy Zoo"
        assert row["project_slug"] == "zookeeper/galaxy-zoo"
        assert row["retirement_criteria"] == "classification_count"
        assert row["retirement_count"] == sample.RETIREMENT_COUNT == 25
        assert row["active"] is True
        assert (row["subjects"], row["classifications"]) == (subjects, classifications)
        assert row["retirement_source"] == source
        assert row["retired_subjects"] == reached
    assert rows[WORKFLOW_ID]["retired_subjects"] == retired_by_panoptes
    assert rows[WORKFLOW_ID]["workflow_name"] == sample.WORKFLOW_NAME
    assert rows[WORKFLOW_ID]["workflow_version"] == "66.425"
    assert rows[OTHER_WORKFLOW_ID]["workflow_name"] == f"Workflow {OTHER_WORKFLOW_ID}"
    assert (tmp_path / "data" / "marts" / "workflows.parquet").is_file()


def test_a_failing_projects_request_is_a_warning_and_lands_no_project(small_sample, tmp_path):
    with standin_server(StandInData.from_sample(small_sample)) as api:
        api.faults.add(Fault("status", status=500, times=50, path="/projects"))
        run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID), "--max-retries", "1")
        assert run.returncode == 0, run.output
        assert "project 5733's name not landed" in run.stderr
        assert len(landed(tmp_path)) == len(small_sample.classifications)
        assert landed(tmp_path, "projects") == []
        assert len(landed(tmp_path, "workflows")) == 1  # the workflows are read all the same
        api.faults.clear()
        again = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    # the next run lands it
    assert again.returncode == 0, again.output
    assert len(landed(tmp_path, "projects")) == 1
    assert len(landed(tmp_path, "workflows")) == 1


def test_the_next_run_lands_no_unchanged_snapshot_and_a_renamed_workflow_once(
    small_sample, tmp_path
):
    data = StandInData.from_sample(small_sample)
    with standin_server(data) as api:
        first = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))
        second = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))
        data.workflows = [{**w, "display_name": "renamed", "active": False} for w in data.workflows]
        third = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))
    assert [r.returncode for r in (first, second, third)] == [0, 0, 0], third.output
    assert "new workflow snapshots         0" in second.stdout
    rows = sorted(landed(tmp_path, "workflows"), key=lambda r: r["ingested_at"])
    assert [(r["display_name"], r["active"]) for r in rows] == [
        (sample.WORKFLOW_NAME, True),
        ("renamed", False),
    ]


def test_the_standin_serves_the_sample_project_and_404_for_others(api):
    def get(project: str) -> requests.Response:
        return requests.get(f"{api.url}/projects/{project}", headers={"Accept": ACCEPT}, timeout=10)

    found = get(str(PROJECT_ID))
    assert found.status_code == 200
    (project,) = found.json()["projects"]
    assert (project["id"], project["display_name"], project["slug"]) == (
        str(PROJECT_ID), "Galaxy Zoo", "zookeeper/galaxy-zoo",
    )  # fmt: skip
    assert get("1").status_code == 404
    assert get("x").status_code == 404


def test_a_lab_workflows_export_lands_its_retirement_rules(small_sample, tmp_path):
    exports = write_exports(small_sample, tmp_path / "exports")
    data_dir: Path = tmp_path / "data"
    run = run_export(data_dir, "--workflows", str(exports["workflows"]))
    assert run.returncode == 0, run.output
    again = run_export(data_dir, "--workflows", str(exports["workflows"]))
    assert again.returncode == 0, again.output

    rows = landed(data_dir, "workflows")
    assert len(rows) == len(small_sample.workflow_versions)  # loading it again adds nothing
    assert {r["workflow_version"] for r in rows} == {
        sample.workflow_version_of(v) for v in small_sample.workflow_versions
    }
    for row in rows:
        assert orjson.loads(row["retirement"]) == {
            "criteria": "classification_count", "options": {"count": sample.RETIREMENT_COUNT},
        }  # fmt: skip
        assert (row["workflow_id"], row["project_id"], row["source"]) == (
            WORKFLOW_ID, None, "export",
        )  # fmt: skip
        assert row["display_name"] == sample.WORKFLOW_NAME
        assert row["active"] is True
