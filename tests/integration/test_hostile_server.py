"""A server that misbehaves on purpose: drips, loops, echoes secrets, points elsewhere.

Each case runs against the stand-in over real HTTP; where credentials could leak to another
host, a second recording server on loopback plays that host and must hear nothing secret.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROJECT_ID,
    WORKFLOW_ID,
    IngestRun,
    clean_environment,
    landed,
    served_ids,
    standin_server,
)
from test_secrets_and_bad_rows import everything_written_under

from ingest.lock import acquire
from ingest.panoptes import AuthError, PanoptesClient, PanoptesError, make_retry
from ingest.settings import Credentials
from standin.server import FAULT_KINDS, Fault, PanoptesStandIn, StandInData
from warehouse.cli import parser

CLASSIFICATIONS = "/api/classifications/project"
SAFETY_NET_S = 120  # only for a run that never ends; every run here should end in seconds


def ingest(api: PanoptesStandIn, data_dir: Path, *args: str, **env: str) -> IngestRun:
    """``python -m ingest api`` in a subprocess with the test credentials, waited for."""
    environment = clean_environment(data_dir) | {
        "PANOPTES_CLIENT_ID": CLIENT_ID,
        "PANOPTES_CLIENT_SECRET": CLIENT_SECRET,
        **env,
    }
    command = [
        sys.executable, "-m", "ingest", "api", "--project-id", str(PROJECT_ID),
        "--workflow-id", str(WORKFLOW_ID), "--api-url", api.url, "--retry-backoff", "0.05",
        *args,
    ]  # fmt: skip
    with subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=SAFETY_NET_S)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
            pytest.fail(f"ingest never ended:\n{stderr[-3000:]}")
    return IngestRun(process.returncode, stdout, stderr)


def client_for(api: PanoptesStandIn, timeout: float = 10.0, **credentials: str) -> PanoptesClient:
    secrets = credentials or {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return PanoptesClient(
        api.url,
        Credentials(**secrets),
        retry=make_retry(attempts=1, backoff_factor=0.01),
        timeout=(timeout, timeout),
    )


def drained(items: Iterable[Any], cap: int = 5_000) -> list[Any]:
    """Every item, failing the test if there are implausibly many (paging that never ends)."""
    out = []
    for item in items:
        out.append(item)
        assert len(out) < cap, "paging never ended"
    return out


@pytest.fixture(scope="module")
def data(small_sample) -> StandInData:
    return StandInData.from_sample(small_sample)


@pytest.fixture
def api(data) -> Iterator[PanoptesStandIn]:
    with standin_server(data) as server:
        yield server


# -- a body that never finishes --------------------------------------------------------------


def test_a_dripping_body_fails_the_run_in_one_line_and_frees_the_lock(api, tmp_path):
    api.faults.add(Fault("drip", times=1_000, seconds=0.05, path="/classifications"))

    run = ingest(api, tmp_path, "--timeout", "1", "--max-retries", "1")

    assert run.returncode == 1, run.output
    last_line = run.stderr.strip().splitlines()[-1]
    assert last_line.startswith("error: GET /api/classifications/project"), last_line
    assert "failed after 2 attempts" in last_line and "still arriving" in last_line
    assert "retrying" in run.stderr  # the first slow attempt was logged
    assert len(api.requests_to(CLASSIFICATIONS)) == 2
    os.close(acquire(tmp_path, wait_seconds=0))  # the lock is free
    assert not list(tmp_path.rglob("*.parquet")) and not list(tmp_path.rglob("*.tmp"))


def test_a_dripping_body_is_fetched_again(api, small_sample, tmp_path):
    api.faults.add(Fault("drip", seconds=0.05, after=2, path="/classifications"))

    run = ingest(api, tmp_path, "--timeout", "1")

    assert run.returncode == 0, run.output
    assert [k for k, _ in api.faults.applied] == ["drip"]
    ids = [row["classification_id"] for row in landed(tmp_path)]
    assert sorted(ids) == served_ids(small_sample.classifications, WORKFLOW_ID)


# -- paging that goes round in circles --------------------------------------------------------


def test_a_listing_whose_next_href_loops_back_stops_with_a_clear_error(api, data):
    api.faults.add(Fault("loop_next", times=1_000, path="/subjects"))
    ids = ",".join(str(i) for i in sorted(data.subjects))
    client = client_for(api)
    try:
        with pytest.raises(PanoptesError, match=r"went back to a page already read") as error:
            drained(client.listing("/subjects", {"id": ids, "page_size": 20}, "subjects"))
    finally:
        client.close()
    assert "\n" not in str(error.value)
    assert len(api.requests_to("/api/subjects")) == 2  # A, B, then B points back to A


def test_a_single_page_listing_that_points_to_itself_is_not_read_twice(api, data):
    api.faults.add(Fault("loop_next", times=1_000, path="/subjects"))
    client = client_for(api)
    try:
        with pytest.raises(PanoptesError, match=r"went back to a page already read"):
            client.subjects(sorted(data.subjects)[:50])
    finally:
        client.close()


def test_keyset_paging_that_goes_back_stops_with_a_clear_error(api):
    api.faults.add(Fault("loop_next", times=1_000, path="/classifications"))
    client = client_for(api)
    try:
        with pytest.raises(PanoptesError, match=r"last_id=0, not after last_id=\d+") as error:
            drained(client.classification_pages(PROJECT_ID, WORKFLOW_ID, 0, page_size=20))
    finally:
        client.close()
    assert "\n" not in str(error.value)
    assert len(api.requests_to(CLASSIFICATIONS)) == 2


# -- error bodies that repeat what was sent -----------------------------------------------------


def test_an_error_body_echoing_the_credentials_prints_neither_token_nor_secret(data, tmp_path):
    with standin_server(data) as api:
        api.faults.add(Fault("echo", status=503, times=1_000, path="/classifications"))
        run = ingest(api, tmp_path / "get", "-v", "--max-retries", "1")
        api.faults.clear()
        api.faults.add(Fault("echo", status=400, times=1_000, path="/oauth/token"))
        token_run = ingest(api, tmp_path / "token", "-v", "--max-retries", "1")
        issued = api.issued_tokens()

    assert issued
    assert run.returncode == 1 and token_run.returncode == 1
    last_line = run.stderr.strip().splitlines()[-1]
    assert last_line.startswith("error: GET /api/classifications/project"), last_line
    assert "HTTP 503 after 2 attempts" in last_line and "[redacted]" in last_line
    assert "token request" in token_run.stderr and "HTTP 400" in token_run.stderr
    written = everything_written_under(tmp_path)
    for secret in (*issued, CLIENT_SECRET):
        assert secret not in run.output and secret not in token_run.output
        assert secret not in written


def test_an_echoed_token_is_redacted_also_json_escaped_and_url_encoded(data, tmp_path):
    token = 'static/token+with"quote-Kw9vR2x7'
    with standin_server(data, static_tokens=[token]) as api:
        api.faults.add(Fault("echo", status=503, times=1_000, path="/classifications"))
        run = ingest(
            api, tmp_path, "-v", "--max-retries", "0",
            PANOPTES_CLIENT_ID="", PANOPTES_CLIENT_SECRET="", PANOPTES_TOKEN=token,
        )  # fmt: skip

    assert run.returncode == 1
    assert "HTTP 503" in run.stderr
    assert "Kw9vR2x7" not in run.output  # in no encoding at all


# -- credentials stay with the API's host -----------------------------------------------------


@dataclass
class Heard:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """Another host on loopback: answers 200 with an empty listing and remembers everything."""

    heard: list[Heard] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def host(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def credentials_heard(self) -> list[str]:
        found = []
        for request in self.heard:
            found += [k for k in request.headers if k.lower() == "authorization"]
            if CLIENT_SECRET.encode() in request.body:
                found.append("client_secret")
        return found


@pytest.fixture
def foreign() -> Iterator[Recorder]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorder.heard.append(Heard(self.command, self.path, dict(self.headers), body))
            payload = b'{"classifications":[],"workflow_versions":[],"meta":{}}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    recorder.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=recorder.server.serve_forever, daemon=True)
    thread.start()
    yield recorder
    recorder.server.shutdown()
    recorder.server.server_close()


def test_a_next_href_to_another_host_is_refused(api, foreign):
    api.faults.add(Fault("foreign_next", host=foreign.host, path="/classifications"))
    client = client_for(api)
    try:
        with pytest.raises(PanoptesError, match=f"http://{foreign.host}, not the API's host"):
            drained(client.classification_pages(PROJECT_ID, WORKFLOW_ID, 0, page_size=20))
    finally:
        client.close()
    assert foreign.heard == []


def test_a_next_href_to_the_same_server_under_another_name_is_refused(api):
    port = api.url.split(":")[2].split("/")[0]
    api.faults.add(Fault("foreign_next", host=f"localhost:{port}", path="/classifications"))
    client = client_for(api)
    try:
        with pytest.raises(PanoptesError, match=f"http://localhost:{port}, not the API's host"):
            drained(client.classification_pages(PROJECT_ID, WORKFLOW_ID, 0, page_size=20))
    finally:
        client.close()
    assert len(api.requests_to(CLASSIFICATIONS)) == 1  # never asked "localhost" for page 2


@pytest.mark.parametrize("status", [307, 308])
def test_a_token_endpoint_redirecting_elsewhere_gets_no_secret(api, foreign, status):
    api.faults.add(Fault("token_redirect", status=status, host=foreign.host))
    client = client_for(api)
    try:
        with pytest.raises(AuthError, match=f"redirected to http://{foreign.host};") as error:
            client.workflow_versions(WORKFLOW_ID)
    finally:
        client.close()
    assert foreign.heard == []
    assert CLIENT_SECRET not in str(error.value)


def test_a_get_redirected_to_another_host_carries_no_token(api, foreign):
    api.faults.add(Fault("redirect", host=foreign.host, path="/workflow_versions"))
    client = client_for(api)
    try:
        with pytest.raises(PanoptesError, match=f"redirected to http://{foreign.host}"):
            client.workflow_versions(WORKFLOW_ID)
    finally:
        client.close()
    assert foreign.credentials_heard() == []
    assert foreign.heard == []  # not followed at all


# -- the faults themselves --------------------------------------------------------------------


def test_every_fault_is_named_in_the_standin_help_and_parses_with_its_options(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["standin", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for kind in FAULT_KINDS:
        assert kind in help_text
    fault = Fault.parse("foreign_next,host=localhost:8001,times=2,after=1,path=/subjects")
    assert (fault.origin, fault.times, fault.after, fault.path) == (
        "http://localhost:8001",
        2,
        1,
        "/subjects",
    )
    assert Fault.parse("token_redirect,host=https://elsewhere,status=308").path == "/oauth/token"
    with pytest.raises(ValueError, match="needs host"):
        Fault.parse("redirect")
