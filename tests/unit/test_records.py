"""Subject and workflow-version resources to landing rows."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from ingest import records
from standin import sample

NOW = datetime(2026, 11, 1)


def test_a_workflow_version_keeps_its_tasks_and_strings_and_integer_numbers():
    real = sample.workflow_6122_versions()[-1]
    # Some API answers carry the numbers as strings ("28", "30"); both must land as integers.
    as_strings = {**real, "major_number": "66", "minor_number": "425"}

    for resource in (real, as_strings):
        row = records.workflow_version_row(resource, workflow_id=1, ingested_at=NOW)
        assert (row["major_number"], row["minor_number"]) == (66, 425)
        assert row["workflow_version"] == "66.425"
        assert row["workflow_id"] == 6122  # from links.workflow, not the fallback
        assert row["workflow_version_id"] == 6401141
        assert orjson.loads(row["tasks"])["T10"]["type"] == "multiple"
        assert orjson.loads(row["strings"])["T0.question"].startswith("Is the galaxy simply")
        assert row["created_at"] == datetime(2019, 1, 29, 23, 9, 24, 680000)


def test_a_subject_keeps_metadata_and_locations_as_json():
    resource = sample.generate(n_classifications=0, n_subjects=1).subjects[0]

    row = records.subject_row(resource, default_project_id=1, ingested_at=NOW)

    assert row["subject_id"] == int(resource["id"])
    assert row["project_id"] == 5733
    assert orjson.loads(row["metadata"])["!iauname"] == resource["metadata"]["!iauname"]
    assert orjson.loads(row["locations"]) == resource["locations"]
    assert orjson.loads(row["raw"]) == resource


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        ({"id": "x1", "major_number": 1, "minor_number": 2, "tasks": {}}, "id is not an integer"),
        ({"id": "1", "major_number": "1.5", "minor_number": 2, "tasks": {}}, "major_number"),
        ({"id": "1", "major_number": 1, "minor_number": 2, "tasks": []}, "tasks is not an object"),
        ("[]", "workflow version is not an object"),
    ],
)
def test_a_broken_workflow_version_is_refused_with_a_reason(resource, reason):
    rows, rejects = records.convert_all(
        [resource], lambda r: records.workflow_version_row(r, 6122, NOW)
    )
    assert rows == []
    [(_, message)] = rejects
    assert reason in message


@pytest.mark.parametrize("value", ["12", 12])
def test_ids_may_be_strings_or_numbers(value):
    assert records.parse_id(value, "id") == 12


@pytest.mark.parametrize("value", ["\uff11\uff12", " 1", "1_0", "", "9" * 19, True, 1.0, None, -1])
def test_anything_else_is_not_an_id(value):
    with pytest.raises(records.RecordError):
        records.parse_id(value, "id")
