"""The stand-in speaks the Panoptes wire format: headers, tokens, keyset paging, faults."""

from __future__ import annotations

import pytest
import requests

from standin import images
from standin.server import ACCEPT, Fault


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


def test_the_standin_serves_each_sample_subjects_image_where_its_locations_point(api, small_sample):
    subject_id = small_sample.subjects[0]["id"]
    (served,) = get(api, "/subjects", id=subject_id).json()["subjects"]
    ((kind, url),) = [item for location in served["locations"] for item in location.items()]
    assert kind == "image/png" and url == f"{api.root}/subject_images/{subject_id}.png"

    image = requests.get(url, timeout=10)  # as a browser asks: no Accept header, no token

    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    assert image.content == images.subject_png(int(subject_id))
    assert requests.get(f"{api.root}/subject_images/1.png", timeout=10).status_code == 404
    assert "panoptes-uploads" in small_sample.subjects[0]["locations"][0]["image/png"]


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
