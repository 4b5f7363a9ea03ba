"""Project and workflow resources (API and Lab workflows export) to landing rows, and which
snapshots of them land."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from ingest import records
from ingest.landing import PROJECTS, WORKFLOWS, Landing
from standin import sample
from standin.lab_exports import WORKFLOW_HEADER, workflow_rows

NOW = datetime(2026, 11, 1)
RULE = {"criteria": "classification_count", "options": {"count": 25}}


def _workflow(**changes: object) -> dict[str, object]:
    generated = sample.generate(n_classifications=0, n_subjects=1)
    return {**generated.workflows[0], **changes}


def test_a_project_keeps_its_name_and_slug():
    resource = sample.project(5733, [6122])

    row = records.project_row(resource, project_id=5733, ingested_at=NOW)

    assert (row["project_id"], row["display_name"], row["slug"]) == (
        5733, "Galaxy Zoo", "zookeeper/galaxy-zoo",
    )  # fmt: skip
    assert orjson.loads(row["raw"]) == resource
    assert (row["source"], row["ingested_at"]) == ("api", NOW)


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        ({"id": "5734", "display_name": "x"}, "not the project asked for"),
        ({"id": "x5733"}, "id is not an integer id"),
        ({"id": "5733", "display_name": 7}, "display_name is not text"),
        ({"id": "5733", "slug": ["a"]}, "slug is not text"),
        ("5733", "project is not an object"),
    ],
)
def test_a_malformed_project_is_refused_with_its_reason(resource, reason):
    with pytest.raises(records.RecordError, match=reason):
        records.project_row(resource, project_id=5733, ingested_at=NOW)


def test_a_workflow_keeps_name_version_active_flag_and_retirement_rule():
    row = records.workflow_row(_workflow(), project_id=1, ingested_at=NOW)

    assert row["workflow_id"] == 6122
    assert row["project_id"] == 5733  # from links.project, not the fallback
    assert row["display_name"] == "DECaLS DR5"
    assert row["workflow_version"] == "66.425"
    assert row["active"] is True
    assert orjson.loads(row["retirement"]) == RULE
    assert row["source"] == "api"


def test_a_workflow_without_rule_or_project_link_lands_with_nulls_and_the_fallback():
    resource = _workflow(retirement=None, active=None, links={}, version="7.1")

    row = records.workflow_row(resource, project_id=9, ingested_at=NOW)

    assert (row["project_id"], row["retirement"], row["active"]) == (9, None, None)
    assert row["workflow_version"] == "7.1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": None}, "id is not an integer id"),
        ({"version": "66"}, 'version is not "major.minor"'),
        ({"version": "66.4.2"}, 'version is not "major.minor"'),
        ({"version": 66.4}, 'version is not "major.minor"'),
        ({"active": "yes"}, "active is not true or false"),
        ({"retirement": "classification_count"}, "retirement is not an object"),
        ({"retirement": {"criteria": 3}}, "retirement criteria is not text"),
        ({"retirement": {"criteria": "x", "options": [25]}}, "retirement options is not an"),
        ({"display_name": {"en": "x"}}, "display_name is not text"),
        ({"links": {"project": "p"}}, "links.project is not an integer id"),
    ],
)
def test_a_malformed_workflow_is_refused_with_its_reason(changes, reason):
    with pytest.raises(records.RecordError, match=reason):
        records.workflow_row(_workflow(**changes), project_id=1, ingested_at=NOW)


def test_convert_all_sets_aside_only_the_malformed_workflow():
    good, bad = _workflow(), _workflow(active="yes")

    rows, rejects = records.convert_all(
        [good, bad, "not an object"],
        lambda resource: records.workflow_row(resource, project_id=1, ingested_at=NOW),
    )

    assert [row["workflow_id"] for row in rows] == [6122]
    assert [reason for _, reason in rejects] == [
        "active is not true or false: 'yes'",
        "workflow is not an object: 'not an object'",
    ]


def test_a_workflows_export_row_lands_its_rule_and_flags():
    generated = sample.generate(n_classifications=0, n_subjects=1)
    first = dict(zip(WORKFLOW_HEADER, map(str, next(iter(workflow_rows(generated)))), strict=True))

    row = records.workflow_export_workflow_row(first, project_id=None, ingested_at=NOW)

    version = generated.workflow_versions[0]
    assert row["workflow_version"] == sample.workflow_version_of(version)
    assert (row["workflow_id"], row["project_id"], row["active"]) == (6122, None, True)
    assert row["display_name"] == "DECaLS DR5"
    assert orjson.loads(row["retirement"]) == RULE
    assert row["source"] == "export"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"active": "false", "retirement": ""}, (False, None)),
        ({"active": "", "retirement": '{"criteria": "never_retire", "options": {}}'},
         (None, '{"criteria":"never_retire","options":{}}')),
    ],
)  # fmt: skip
def test_export_flags_and_rules_may_be_false_or_empty(changes, expected):
    base = {"workflow_id": "10", "version": "16", "minor_version": "55", "display_name": ""}

    row = records.workflow_export_workflow_row(base | changes, project_id=3, ingested_at=NOW)

    assert (row["active"], row["retirement"]) == expected
    assert (row["workflow_version"], row["project_id"], row["display_name"]) == ("16.55", 3, None)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"active": "maybe"}, "active is not true or false"),
        ({"retirement": "{broken"}, "retirement is not valid JSON"),
        ({"retirement": "[1]"}, "retirement is not a JSON object"),
        ({"minor_version": ""}, "minor_version is not an integer id"),
    ],
)
def test_a_malformed_export_row_is_refused_with_its_reason(changes, reason):
    base = {"workflow_id": "10", "version": "16", "minor_version": "55", "active": "true"}
    with pytest.raises(records.RecordError, match=reason):
        records.workflow_export_workflow_row(base | changes, project_id=None, ingested_at=NOW)


def _snapshot(workflow_id: int, name: str, at: int) -> dict[str, object]:
    return {
        "workflow_id": workflow_id, "project_id": 1, "display_name": name,
        "workflow_version": "1.0", "active": True, "retirement": None, "raw": "{}",
        "source": "api", "ingested_at": datetime(2026, 1, at),
    }  # fmt: skip


def test_an_api_snapshot_lands_when_it_differs_from_the_latest_landed(tmp_path):
    landing = Landing(tmp_path)
    with landing.writer(WORKFLOWS) as writer:
        writer.extend([_snapshot(1, "a", 1), _snapshot(1, "b", 2), _snapshot(2, "c", 1)])

    served = [_snapshot(w, name, 3) for w, name in ((1, "a"), (1, "b"), (2, "c"), (3, "d"))]
    new = landing.new_snapshots(WORKFLOWS, served)

    # back to "a" after "b" is a change; "b" served again after it in the same run is one too
    landed = [(row["workflow_id"], row["display_name"]) for row in new]
    assert landed == [(1, "a"), (1, "b"), (3, "d")]
    # an export's rows are past versions: compared with every landed snapshot
    assert landing.new_snapshots(WORKFLOWS, served, latest_only=False) == [_snapshot(3, "d", 3)]


def test_projects_and_workflows_get_one_empty_file_only_while_they_have_none(tmp_path):
    landing = Landing(tmp_path)
    landing.ensure_workflows_readable()
    landing.ensure_workflows_readable()

    for dataset, partition in ((PROJECTS, "project_id=0"), (WORKFLOWS, "workflow_id=0")):
        files = landing.files(dataset)
        assert [path.parent.name for path in files] == [partition]
        assert landing.landed_rows(dataset, ["display_name"]) == []
