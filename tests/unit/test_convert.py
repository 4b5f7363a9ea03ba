"""Raw API pages to landing rows: typing, checks and reasons, one resource at a time."""

from __future__ import annotations

import copy
from datetime import datetime

import orjson
import pytest

from ingest.convert import ClassificationConverter

INGESTED_AT = datetime(2026, 11, 1, 12, 0, 0)
BAD_SUBJECTS = "links.subjects holds a value that is not an integer id"

# The first row of a real raw API file (Galaxy Zoo DECaLS, workflow 6122), links as the API
# serves them.
REAL = {
    "id": "156463584",
    "annotations": [
        {"task": "T0", "value": 0},
        {"task": "T1", "value": 0},
        {"task": "T11", "value": 3},
        {"task": "T10", "value": [6]},
    ],
    "created_at": "2019-03-29T18:37:52.739Z",
    "updated_at": "2019-03-29T18:37:52.810Z",
    "metadata": {"source": "api", "user_language": "en", "workflow_version": "66.425"},
    "href": "/classifications/156463584",
    "links": {
        "project": "5733",
        "user": "1882264",
        "user_group": None,
        "workflow": "6122",
        "subjects": ["28487635"],
    },
}


def page(*resources: object) -> bytes:
    meta = {"classifications": {"page": 1, "count": 0, "page_count": 0, "next_href": None}}
    return orjson.dumps({"classifications": list(resources), "links": {}, "meta": meta})


def variant(**changes: object) -> dict:
    resource = copy.deepcopy(REAL)
    for dotted, value in changes.items():
        target = resource
        *parents, key = dotted.split("__")
        for parent in parents:
            target = target[parent]
        target[key] = value
    return resource


@pytest.fixture
def converter():
    converter = ClassificationConverter(project_id=5733, workflow_id=6122)
    yield converter
    converter.close()


def test_a_real_classification_is_typed_column_by_column(converter):
    result = converter.convert([page(REAL)], ingested_at=INGESTED_AT)

    assert result.rejected.num_rows == 0
    [row] = result.landed.to_pylist()
    assert row["classification_id"] == 156463584
    assert row["project_id"] == 5733
    assert row["workflow_id"] == 6122
    assert row["workflow_version"] == "66.425"
    assert row["user_id"] == 1882264
    assert row["subject_ids"] == [28487635]
    assert row["created_at"] == datetime(2019, 3, 29, 18, 37, 52, 739000)
    assert orjson.loads(row["annotations"]) == REAL["annotations"]
    assert orjson.loads(row["metadata"]) == REAL["metadata"]
    assert orjson.loads(row["raw"]) == REAL
    assert row["source"] == "api"
    assert row["ingested_at"] == INGESTED_AT


def test_anonymous_numeric_and_offset_values_are_accepted(converter):
    anonymous = variant(id="156463590", links__user=None)
    numeric = variant(id=156463591, links__subjects=[28487635, 28487636])
    offset = variant(id="156463592", created_at="2019-03-29T20:37:52+02:00")

    result = converter.convert([page(anonymous, numeric, offset)], INGESTED_AT)

    rows = {r["classification_id"]: r for r in result.landed.to_pylist()}
    assert rows[156463590]["user_id"] is None
    assert rows[156463591]["subject_ids"] == [28487635, 28487636]
    assert rows[156463592]["created_at"] == datetime(2019, 3, 29, 18, 37, 52)


@pytest.mark.parametrize(
    ("resource", "reason"),
    [
        (variant(id="12ab"), "id is not an integer id: 12ab"),
        (variant(id=" 12"), "id is not an integer id:  12"),
        (variant(id="1.5"), "id is not an integer id: 1.5"),
        (variant(id=None), "id is not an integer id: missing"),
        (variant(id="99999999999999999999"), "id is not an integer id: 99999999999999999999"),
        (variant(links__project="x"), "links.project is not an integer id: x"),
        (variant(links__workflow=None), "links.workflow is not an integer id: missing"),
        (variant(links__user="someone"), "links.user is not an integer id: someone"),
        (variant(links__subjects=[]), "classification has no subject"),
        (variant(links__subjects=None), "classification has no subject"),
        (variant(links__subjects=["28487635", "x"]), BAD_SUBJECTS),
        (variant(links__subjects=["012"]), BAD_SUBJECTS),
        (variant(created_at="yesterday"), "created_at is not a timestamp: yesterday"),
        (variant(annotations={"T0": 0}), "annotations is not a list"),
        (variant(annotations=None), "annotations is not a list"),
        (variant(metadata=[1]), "metadata is not an object"),
        (5, "classification is not an object"),
    ],
)  # fmt: skip
def test_a_malformed_resource_is_set_aside_with_its_reason(converter, resource, reason):
    result = converter.convert([page(REAL, resource)], INGESTED_AT)

    assert result.landed.num_rows == 1
    [rejected] = result.rejected.to_pylist()
    assert rejected["reason"] == reason
    assert rejected["entity"] == "classification"
    assert (rejected["project_id"], rejected["workflow_id"]) == (5733, 6122)
    assert orjson.loads(rejected["raw"]) == resource


def test_a_page_that_is_not_json_is_kept_whole(converter):
    broken = page(REAL)[:-40] + b"<html>"

    result = converter.convert([broken, page(variant(id="156463599"))], INGESTED_AT)

    assert [r["classification_id"] for r in result.landed.to_pylist()] == [156463599]
    [rejected] = result.rejected.to_pylist()
    assert rejected["reason"] == "page is not valid JSON (page 1 of the batch)"
    assert rejected["raw"] == broken.decode()
    assert rejected["entity_id"] is None


def test_rows_already_landed_or_of_another_stream_are_skipped_and_counted(converter):
    older = variant(id="156463500")
    other_workflow = variant(id="156463700", links__workflow="10581")
    other_project = variant(id="156463701", links__project="1")
    newer = variant(id="156463800")

    converter.remember([156463500])

    result = converter.convert(
        [page(older, other_workflow), page(other_project, newer)], INGESTED_AT
    )

    assert [r["classification_id"] for r in result.landed.to_pylist()] == [156463800]
    assert result.skipped_already_landed == 1
    assert result.skipped_other_stream == 2
    assert result.rejected.num_rows == 0


def test_an_empty_batch_and_an_empty_page_give_no_rows(converter):
    result = converter.convert([page()], INGESTED_AT)
    assert result.landed.num_rows == 0
    assert result.rejected.num_rows == 0


def test_a_classification_served_twice_lands_once_and_one_landed_before_not_at_all(converter):
    repeated = variant(id="156463590")

    first = converter.convert([page(REAL, repeated), page(repeated)], INGESTED_AT)
    again = converter.convert([page(REAL, variant(id="156463591"))], INGESTED_AT)

    assert sorted(first.landed["classification_id"].to_pylist()) == [156463584, 156463590]
    assert first.skipped_already_landed == 1
    assert [r["classification_id"] for r in again.landed.to_pylist()] == [156463591]
    assert again.skipped_already_landed == 1


def test_a_row_without_an_id_is_set_aside_once(converter):
    no_id = variant(id="12ab")

    first = converter.convert([page(no_id)], INGESTED_AT)
    again = converter.convert([page(no_id, REAL)], INGESTED_AT)

    assert first.rejected.num_rows == 1
    assert again.rejected.num_rows == 0
    assert again.landed.num_rows == 1


def test_a_lone_surrogate_sets_aside_its_resource_only(converter):
    odd = variant(id="156463590", metadata__user_language="MARK")
    body = page(REAL, odd, variant(id="156463591")).replace(b'"MARK"', b'"en\\ud83d"')

    result = converter.convert([body], INGESTED_AT)

    assert sorted(result.landed["classification_id"].to_pylist()) == [156463584, 156463591]
    [rejected] = result.rejected.to_pylist()
    assert rejected["entity_id"] == 156463590
    assert rejected["reason"] == (
        "classification holds a lone surrogate (\\ud83d) in a string: not valid Unicode"
    )
    assert '"user_language":"en\\ud83d"' in rejected["raw"]
