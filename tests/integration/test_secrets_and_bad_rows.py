"""Secrets never leave the environment; malformed rows are set aside with their reason."""

from __future__ import annotations

import copy
import subprocess
import sys

import pyarrow.parquet as pq
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    GZ_WAREHOUSE,
    WORKFLOW_ID,
    landed,
    run_ingest,
    served_ids,
    standin_server,
)

from standin.server import Fault, StandInData


def everything_written_under(path) -> str:
    """Decoded contents of every file: parquet cells (compressed on disk) and any other file."""
    parts = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        if file.suffix == ".parquet":
            parts.append(repr(pq.read_table(file).to_pylist()))
        else:
            parts.append(file.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def test_secrets_and_tokens_appear_in_no_output_and_no_file(small_sample, tmp_path):
    static_token = "static-token-c4e1a9b2-never-printed"
    with standin_server(StandInData.from_sample(small_sample), token_lifetime=3) as api:
        api.faults.add(Fault("expire_tokens", after=3, path="/classifications"))
        api.faults.add(Fault("status", status=503, after=5, path="/classifications"))
        api.faults.add(Fault("delay", times=4, seconds=0.4, path="/classifications"))
        run = run_ingest(api, tmp_path, "-v", "--workflow-id", str(WORKFLOW_ID))
        issued = api.issued_tokens()
        refused = run_ingest(
            api, tmp_path / "refused", "-v", credentials=False,
            env={"PANOPTES_TOKEN": static_token},
        )  # fmt: skip

    assert run.returncode == 0, run.output
    assert refused.returncode == 1
    assert api.tokens_issued >= 2
    secrets = [CLIENT_SECRET, static_token, *issued]
    files = everything_written_under(tmp_path)
    assert str(small_sample.classifications[0]["id"]) in files
    for secret in secrets:
        assert secret not in run.output
        assert secret not in refused.output
        assert secret not in files
    assert "Bearer" not in run.output


def test_help_shows_no_secret_even_when_the_environment_has_them():
    env = {"PANOPTES_CLIENT_ID": CLIENT_ID, "PANOPTES_CLIENT_SECRET": CLIENT_SECRET,
           "PANOPTES_TOKEN": "token-in-env-1f2e3d", "PATH": "/usr/bin:/bin"}  # fmt: skip
    gz_warehouse = [
        ["--help"], ["--version"], ["ingest", "--help"], ["ingest", "api", "--help"],
        ["ingest", "export", "--help"], ["ingest", "lab-exports", "--help"], ["build", "--help"],
        ["dashboard", "--help"], ["catalogue", "--help"], ["catalogue", "import", "--help"],
        ["catalogue", "publish", "--help"], ["document-schema", "--help"], ["demo", "--help"],
        ["standin", "--help"],
    ]  # fmt: skip
    python_m_ingest = [["--help"], ["api", "--help"], ["export", "--help"]]
    for command in [
        *([GZ_WAREHOUSE, *args] for args in gz_warehouse),
        *([sys.executable, "-m", "ingest", *args] for args in python_m_ingest),
    ]:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        assert done.returncode == 0
        assert CLIENT_SECRET not in done.stdout + done.stderr
        assert "token-in-env-1f2e3d" not in done.stdout + done.stderr


def broken_copies(good: list[dict]) -> list[dict]:
    """Five malformed classifications, made from good ones, each broken in one way."""
    rows = [copy.deepcopy(c) for c in good[:5]]
    rows[0]["id"] = "12ab"
    rows[1]["links"]["subjects"] = []
    rows[2]["created_at"] = "yesterday"
    rows[3]["annotations"] = "T0=smooth"
    rows[4]["links"]["user"] = "not-logged-in-3f9a"
    for offset, row in enumerate(rows[1:], start=1):
        row["id"] = str(int(good[-1]["id"]) + offset)
    return rows


def test_malformed_rows_are_set_aside_with_their_reason_and_good_rows_land(small_sample, tmp_path):
    bad = broken_copies(small_sample.classifications)
    served = [*small_sample.classifications, *bad]
    data = StandInData(
        served, small_sample.subjects, small_sample.workflows, small_sample.workflow_versions
    )
    with standin_server(data) as api:
        run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))
        again = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    assert run.returncode == 0, run.output
    assert "rejected rows                  5" in run.stdout
    ids = [row["classification_id"] for row in landed(tmp_path)]
    assert sorted(ids) == served_ids(small_sample.classifications)
    rejected = landed(tmp_path, "rejected")
    reasons = sorted(row["reason"] for row in rejected)
    assert reasons == sorted(
        [
            "id is not an integer id: 12ab",
            "classification has no subject",
            "created_at is not a timestamp: yesterday",
            "annotations is not a list",
            "links.user is not an integer id: not-logged-in-3f9a",
        ]
    )
    assert {row["entity"] for row in rejected} == {"classification"}
    assert all(row["raw"].startswith("{") for row in rejected)
    # Set aside once: the next run does not fetch and reject them again.
    assert again.returncode == 0, again.output
    assert "rejected rows                  0" in again.stdout
    assert len(landed(tmp_path, "rejected")) == 5
