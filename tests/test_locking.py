"""One writer at a time per data directory: ingest runs and dbt builds share a lock."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT, WORKFLOW_ID, clean_environment, run_ingest

from warehouse.dbt import dbt_executable

HOLD = """
import sys, time
from pathlib import Path
from ingest.lock import holding
with holding(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_lock(data_dir: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_ingest_gives_up_after_the_bounded_wait_with_a_clear_message(api, tmp_path):
    holder = hold_lock(tmp_path, 60)
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


def test_a_waiting_ingest_goes_on_once_the_holder_is_done(api, tmp_path):
    holder = hold_lock(tmp_path, 1.5)
    started = time.monotonic()
    run = run_ingest(
        api, tmp_path, "--workflow-id", str(WORKFLOW_ID), env={"WAREHOUSE_LOCK_WAIT": "30"}
    )
    holder.wait()
    assert run.returncode == 0, run.output
    assert time.monotonic() - started >= 1.0


@pytest.mark.dbt
def test_dbt_build_takes_the_same_lock(tmp_path):
    holder = hold_lock(tmp_path, 60)
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
