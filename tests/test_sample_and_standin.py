"""The bundled sample walks the real decision tree; the stand-in speaks the wire format."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest
import requests

from standin import sample
from standin.server import ACCEPT, Fault

VERSIONS = {
    f"{int(v['major_number'])}.{int(v['minor_number'])}": v for v in sample.workflow_6122_versions()
}


def test_the_bundled_versions_are_the_24_real_versions_of_workflow_6122():
    assert len(VERSIONS) == 24
    assert next(iter(VERSIONS)) == "28.30" and list(VERSIONS)[-1] == "66.425"
    old, new = VERSIONS["63.286"]["strings"], VERSIONS["66.425"]["strings"]
    assert old["T11.answers.1.label"].endswith("Tidal Debris")
    assert new["T11.answers.1.label"].endswith("Major Disturbance")


def test_generation_is_deterministic(small_sample):
    again = sample.generate(n_classifications=1_500, n_subjects=120)
    assert orjson.dumps(again.classifications) == orjson.dumps(small_sample.classifications)
    assert orjson.dumps(again.subjects) == orjson.dumps(small_sample.subjects)


def test_every_classification_follows_its_own_versions_decision_tree(small_sample):
    for classification in small_sample.classifications:
        version = VERSIONS[classification["metadata"]["workflow_version"]]
        tasks = version["tasks"]
        expected = version["first_task"] or "T0"
        for annotation in classification["annotations"]:
            assert annotation["task"] == expected
            task = tasks[annotation["task"]]
            value = annotation["value"]
            if task["type"] == "multiple":
                assert isinstance(value, list) and value
                assert all(0 <= v < len(task["answers"]) for v in value)
                expected = task.get("next")
            else:
                assert isinstance(value, int) and 0 <= value < len(task["answers"])
                expected = task["answers"][value].get("next") or task.get("next")
        assert expected is None


def test_the_sample_has_anonymous_users_repeats_multiple_choice_and_every_version(small_sample):
    rows = small_sample.classifications
    assert 0.1 < sum(c["links"]["user"] is None for c in rows) / len(rows) < 0.3
    pairs = Counter(
        (c["links"]["user"], c["links"]["subjects"][0]) for c in rows if c["links"]["user"]
    )
    assert any(n > 1 for n in pairs.values())
    chosen = [a["value"] for c in rows for a in c["annotations"] if isinstance(a["value"], list)]
    assert any(len(value) > 1 for value in chosen)  # T10, "rare features", several at once
    assert {c["metadata"]["workflow_version"] for c in rows} == set(VERSIONS)
    ids = [int(c["id"]) for c in rows]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    metadata = small_sample.subjects[0]["metadata"]
    assert {"!ra", "!dec", "!iauname"} <= set(metadata)


def test_iau_names_follow_the_catalogue_convention():
    assert sample.iau_name(130.8441567812173, 4.463927653769255) == "J084322.59+042750.1"
    assert sample.iau_name(0.001, -0.5) == "J000000.24-003000.0"


def get(api, path, token=None, accept=ACCEPT, **params):
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(f"{api.url}{path}", params=params, headers=headers, timeout=10)


def token(api) -> str:
    from conftest import CLIENT_ID, CLIENT_SECRET

    response = requests.post(
        f"{api.root}/oauth/token",
        json={"grant_type": "client_credentials", "client_id": CLIENT_ID,
              "client_secret": CLIENT_SECRET},
        timeout=10,
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
    return body["access_token"]


def test_the_standin_requires_the_api_accept_header_and_a_token(api):
    assert get(api, "/classifications/project", accept="application/json").status_code == 404
    assert get(api, "/classifications/project", project_id=5733).status_code == 401
    assert get(api, "/classifications/project", token="forged", project_id=5733).status_code == 401
    assert get(api, "/subjects", id="1").status_code == 200  # public


def test_the_standin_pages_by_keyset_like_panoptes(api, small_sample):
    bearer = token(api)
    assert get(api, "/classifications/project", bearer, last_id=0).status_code == 422

    first = get(api, "/classifications/project", bearer, project_id=5733, last_id=0,
                page_size=500).json()  # fmt: skip
    meta = first["meta"]["classifications"]
    assert len(first["classifications"]) == 100  # page_size is capped
    assert meta["count"] == 0 and meta["page_count"] == 0
    last = max(int(c["id"]) for c in first["classifications"])
    assert f"last_id={last}" in meta["next_href"] and "page=" not in meta["next_href"]

    headers = {"Accept": ACCEPT, "Authorization": f"Bearer {bearer}"}
    following = requests.get(api.url + meta["next_href"], headers=headers, timeout=10).json()
    assert min(int(c["id"]) for c in following["classifications"]) > last

    end = get(api, "/classifications/project", bearer, project_id=5733,
              last_id=int(small_sample.classifications[-1]["id"])).json()  # fmt: skip
    assert end["classifications"] == [] and end["meta"]["classifications"]["next_href"] is None


def test_faults_are_applied_in_order_then_the_standin_recovers(api):
    api.faults.add(Fault.parse("rate_limit,seconds=2,path=/subjects"))
    api.faults.add(Fault.parse("status,status=502,path=/subjects"))

    limited = get(api, "/subjects", id="1")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert get(api, "/subjects", id="1").status_code == 502
    assert get(api, "/subjects", id="1").status_code == 200


@pytest.mark.parametrize("spec", ["explode", "status,colour=red", "delay,seconds=x"])
def test_unknown_fault_specs_are_refused(spec):
    with pytest.raises(ValueError):
        Fault.parse(spec)
