"""One writer at a time per data directory: ingest runs and dbt builds share a lock."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROJECT_ID,
    PROJECT_ROOT,
    WORKFLOW_ID,
    clean_environment,
    landed,
    run_ingest,
)

from warehouse.dbt import dbt_executable

HOLD = """
import sys
from pathlib import Path
from ingest.lock import holding
with holding(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def hold_lock(data_dir: Path) -> subprocess.Popen[str]:
    """A process holding the data directory's lock until its stdin is closed."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_ingest_gives_up_after_the_bounded_wait_with_a_clear_message(api, tmp_path):
    holder = hold_lock(tmp_path)
    try:
        run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID),
                         env={"WAREHOUSE_LOCK_WAIT": "1"})  # fmt: skip
    finally:
        holder.send_signal(signal.SIGKILL)  # a killed holder releases the lock too
        holder.wait()
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("error: another writer holds") and f"pid {holder.pid}" in last
    assert "waited 1 s" in last
    assert not (tmp_path / "raw").exists()

    after = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))
    assert after.returncode == 0, after.output


def test_a_waiting_ingest_goes_on_once_the_holder_is_done(api, small_sample, tmp_path):
    holder = hold_lock(tmp_path)
    env = clean_environment(tmp_path) | {
        "PANOPTES_CLIENT_ID": CLIENT_ID,
        "PANOPTES_CLIENT_SECRET": CLIENT_SECRET,
        "WAREHOUSE_LOCK_WAIT": "300",  # only so that a broken lock cannot hang the test
    }
    with subprocess.Popen(
        [sys.executable, "-m", "ingest", "api", "--project-id", str(PROJECT_ID),
         "--workflow-id", str(WORKFLOW_ID), "--api-url", api.url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as ingest:  # fmt: skip
        try:
            assert ingest.stderr is not None
            waiting = next((line for line in ingest.stderr if " waiting " in line), "")
            # it says whom it waits for, and waits without fetching or landing anything
            assert "waiting up to 300 s" in waiting and f"pid {holder.pid}" in waiting
            assert api.requests_to("/api/classifications/project") == []
            assert not (tmp_path / "raw").exists()
        finally:
            holder.stdin.close()  # the holder is done
            holder.wait()
        stdout, stderr = ingest.communicate(timeout=300)

    assert ingest.returncode == 0, stdout + stderr
    assert len(landed(tmp_path)) == len(small_sample.classifications)
    assert (tmp_path / ".warehouse.lock").read_text().startswith(f"pid {ingest.pid},")


@pytest.mark.dbt
def test_dbt_build_takes_the_same_lock(tmp_path):
    holder = hold_lock(tmp_path)
    try:
        env = clean_environment(tmp_path) | {
            "WAREHOUSE_LOCK_WAIT": "1",
            "WAREHOUSE_DB": str(tmp_path / "warehouse.duckdb"),
        }
        done = subprocess.run(
            [dbt_executable(), "build", "-s", "question_answer_schema"],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert done.returncode != 0
    assert "another writer holds" in done.stdout
    assert not (tmp_path / "warehouse.duckdb").exists()
