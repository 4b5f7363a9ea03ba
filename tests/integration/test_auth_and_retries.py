"""Auth, token refresh and retries against a stand-in that misbehaves on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import (
    CLIENT_SECRET,
    WORKFLOW_ID,
    landed,
    run_ingest,
    served_ids,
    standin_server,
)

from standin.server import Fault, PanoptesStandIn, StandInData

CLASSIFICATIONS = "/api/classifications/project"


def assert_all_landed_once(data_dir: Path, classifications: list[dict]) -> None:
    ids = [row["classification_id"] for row in landed(data_dir)]
    assert sorted(ids) == served_ids(classifications)
    assert len(ids) == len(set(ids))


def statuses(api: PanoptesStandIn, path: str = CLASSIFICATIONS) -> list[int]:
    return [r.status for r in api.requests_to(path)]


def test_client_credentials_are_exchanged_for_a_bearer_token(api, small_sample, tmp_path):
    run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    assert run.returncode == 0, run.output
    token_requests = api.requests_to("/oauth/token")
    assert len(token_requests) == 1
    assert token_requests[0].status == 200
    assert all(r.authorized for r in api.requests_to(CLASSIFICATIONS))
    assert 401 not in statuses(api)
    assert_all_landed_once(tmp_path, small_sample.classifications)
    assert len(api.requests) > 15
    assert api.connections <= 3  # keep-alive: connections go back to the pool


def test_token_is_refreshed_before_it_expires(small_sample, tmp_path):
    # Tokens live 3 s and the client renews them 0.75 s early. The stand-in answers each of the
    # 76 pages no sooner than 0.05 s after it arrives: the stream outlives a token whatever the
    # machine's speed, and a page sent just before renewal is still checked in time unless it
    # takes 0.7 s more to get through.
    with standin_server(StandInData.from_sample(small_sample), token_lifetime=3) as api:
        api.faults.add(Fault("delay", times=1_000, seconds=0.05, path="/classifications"))
        run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID), "--page-size", "20")

    assert run.returncode == 0, run.output
    assert api.tokens_issued >= 2
    assert 401 not in statuses(api)
    assert_all_landed_once(tmp_path, small_sample.classifications)


def test_a_token_refused_mid_stream_is_refreshed_once_and_the_stream_goes_on(
    api, small_sample, tmp_path
):
    api.faults.add(Fault("expire_tokens", after=4, path="/classifications"))

    run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    assert run.returncode == 0, run.output
    assert statuses(api).count(401) == 1
    assert api.tokens_issued == 2
    assert_all_landed_once(tmp_path, small_sample.classifications)


def test_a_ready_token_from_the_environment_is_used_as_is(small_sample, tmp_path):
    token = "static-token-5d1b2f8e"
    with standin_server(StandInData.from_sample(small_sample), static_tokens=[token]) as api:
        run = run_ingest(
            api,
            tmp_path,
            "--workflow-id",
            str(WORKFLOW_ID),
            credentials=False,
            env={"PANOPTES_TOKEN": token},
        )

    assert run.returncode == 0, run.output
    assert api.requests_to("/oauth/token") == []
    assert_all_landed_once(tmp_path, small_sample.classifications)


def test_a_refused_ready_token_fails_with_a_clear_message(api, tmp_path):
    token = "expired-token-0a9c44d3"
    run = run_ingest(
        api, tmp_path, "--workflow-id", str(WORKFLOW_ID), credentials=False,
        env={"PANOPTES_TOKEN": token},
    )  # fmt: skip

    assert run.returncode == 1
    assert "401" in run.stderr and "cannot be refreshed" in run.stderr
    assert token not in run.output
    assert not (tmp_path / "raw").exists() or not list((tmp_path / "raw").rglob("*.parquet"))


def test_a_wrong_client_secret_fails_without_landing_or_printing_anything_secret(api, tmp_path):
    wrong = "wrong-secret-77e2b9"
    run = run_ingest(
        api, tmp_path, "--workflow-id", str(WORKFLOW_ID),
        env={"PANOPTES_CLIENT_SECRET": wrong},
    )  # fmt: skip

    assert run.returncode == 1
    assert "refused (HTTP 401)" in run.stderr
    assert len(run.stderr.strip().splitlines()[-1]) < 300
    assert wrong not in run.output and CLIENT_SECRET not in run.output
    assert not list(tmp_path.rglob("*.parquet"))


def test_rate_limits_and_server_errors_are_retried_honouring_retry_after(
    api, small_sample, tmp_path
):
    api.faults.add(Fault("rate_limit", seconds=1, after=2, path="/classifications"))
    for status in (500, 502, 503):
        api.faults.add(Fault("status", status=status, after=4, path="/classifications"))
    api.faults.add(Fault("status", status=503, path="/subjects"))
    api.faults.add(Fault("status", status=500, path="/workflow_versions"))

    run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    assert run.returncode == 0, run.output
    assert_all_landed_once(tmp_path, small_sample.classifications)
    assert len(landed(tmp_path, "subjects")) == 120
    assert len(landed(tmp_path, "workflow_versions")) == 24
    requests = api.requests_to(CLASSIFICATIONS)
    limited = next(i for i, r in enumerate(requests) if r.status == 429)
    retried = requests[limited + 1]
    assert retried.params == requests[limited].params
    assert retried.at - requests[limited].at >= 0.95  # Retry-After: 1 was honoured
    assert sorted(s for s in statuses(api) if s >= 500) == [500, 502, 503]


@pytest.mark.parametrize("kind", ["reset", "truncate", "garbage"])
def test_broken_connections_and_bodies_are_fetched_again(api, small_sample, tmp_path, kind):
    api.faults.add(Fault(kind, times=2, after=3, path="/classifications"))

    run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    assert run.returncode == 0, run.output
    assert [k for k, _ in api.faults.applied] == [kind, kind]
    assert_all_landed_once(tmp_path, small_sample.classifications)


def test_a_slow_server_is_retried_after_a_read_timeout(api, small_sample, tmp_path):
    api.faults.add(Fault("delay", seconds=3, after=2, path="/classifications"))

    run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID), "--timeout", "1")

    assert run.returncode == 0, run.output
    assert_all_landed_once(tmp_path, small_sample.classifications)


def test_when_retries_run_out_the_run_fails_in_one_line_and_lands_no_partial_file(api, tmp_path):
    api.faults.add(Fault("status", status=503, times=1000, after=3, path="/classifications"))

    run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID), "--max-retries", "2")

    assert run.returncode == 1
    last_line = run.stderr.strip().splitlines()[-1]
    assert last_line.startswith("error: GET /api/classifications/project?last_id=")
    assert "HTTP 503 after 3 attempts" in last_line
    assert not list(tmp_path.rglob("*.tmp"))
    assert not list(tmp_path.rglob("*.parquet"))


def test_an_unavailable_token_endpoint_is_retried_then_reported_as_unavailable(api, tmp_path):
    api.faults.add(Fault("status", status=503, times=2, path="/oauth/token"))
    ok = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))
    assert ok.returncode == 0, ok.output

    api.faults.add(Fault("status", status=503, times=100, path="/oauth/token"))
    down = run_ingest(
        api, tmp_path / "down", "--workflow-id", str(WORKFLOW_ID), "--max-retries", "1"
    )
    assert down.returncode == 1
    assert "is unavailable (HTTP 503 after 2 attempts)" in down.stderr
    assert CLIENT_SECRET not in down.output
