"""SIGKILL at any moment, then a normal run: everything served lands exactly once, every landed
file reads, and what the killed runs left behind is cleaned up."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
from conftest import (
    WORKFLOW_ID,
    clean_environment,
    landed,
    run_export,
    run_ingest,
    served_ids,
    standin_server,
)

from standin import lab_exports, sample
from standin.server import Fault, StandInData

KILLS = 6


def kill_after(
    command: list[str], env: dict[str, str], seconds: float, once_landed: Path | None = None
) -> int | None:
    """Start a real process, SIGKILL it after ``seconds`` (if still running); its exit code.

    With ``once_landed``, the seconds count from when the process has landed a new parquet file
    there, so that a loaded machine's slow start-up cannot make every kill come too early."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if once_landed is not None:
        before = len(list(once_landed.rglob("*.parquet")))
        while process.poll() is None and len(list(once_landed.rglob("*.parquet"))) <= before:
            time.sleep(0.02)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return None
    return process.returncode


def assert_whole_and_clean(data_dir: Path) -> None:
    for path in (data_dir / "raw").rglob("*.parquet"):
        pq.read_table(path)  # raises on a torn file
    assert not list(data_dir.rglob("*.tmp"))


def test_killing_ingest_api_anywhere_loses_and_duplicates_nothing(tmp_path):
    generated = sample.generate(n_classifications=1_500, n_subjects=120, seed=51)
    rng = random.Random(51)
    with standin_server(StandInData.from_sample(generated)) as api:
        api.faults.add(Fault("delay", times=100_000, seconds=0.03, path="/classifications"))
        api.faults.add(Fault("delay", times=100_000, seconds=0.05, path="/subjects"))
        command = [
            sys.executable, "-m", "ingest", "api", "--project-id", "5733", "--workflow-id",
            str(WORKFLOW_ID), "--api-url", api.url, "--page-size", "20", "--rows-per-file", "100",
        ]  # fmt: skip
        env = clean_environment(tmp_path) | {
            "PANOPTES_CLIENT_ID": "warehouse-tests",
            "PANOPTES_CLIENT_SECRET": "client-secret-9f3c1e7a-never-printed",
        }
        killed = [kill_after(command, env, rng.uniform(0.8, 4.0)) for _ in range(KILLS - 1)]
        # and one that surely lands a file first, then dies mid-stream
        killed.append(kill_after(command, env, rng.uniform(0.05, 0.3), tmp_path / "raw"))
        landed_before_last_run = len(landed(tmp_path)) if (tmp_path / "raw").exists() else 0
        api.faults.clear()
        finish = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    assert finish.returncode == 0, finish.output
    assert killed.count(None) >= KILLS - 1  # they really were killed mid-run
    assert landed_before_last_run > 0  # killed runs landed whole files before dying
    ids = [row["classification_id"] for row in landed(tmp_path)]
    assert sorted(ids) == served_ids(generated.classifications)
    assert len(ids) == len(set(ids))
    subjects = [row["subject_id"] for row in landed(tmp_path, "subjects")]
    assert len(subjects) == len(set(subjects)) == 120
    assert_whole_and_clean(tmp_path)


def test_killing_ingest_export_anywhere_loses_and_duplicates_nothing(tmp_path):
    generated = sample.generate(n_classifications=6_000, n_subjects=200, seed=52)
    exports = lab_exports.write_exports(generated, tmp_path / "exports")
    args = [
        "--classifications", str(exports["classifications"]),
        "--workflows", str(exports["workflows"]), "--subjects", str(exports["subjects"]),
        "--project-id", "5733",
    ]  # fmt: skip
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "ingest", "export", *args]
    rng = random.Random(52)
    killed = [kill_after(command, clean_environment(data_dir), rng.uniform(0.5, 3.0))
              for _ in range(KILLS)]  # fmt: skip

    finish = run_export(data_dir, *args)

    assert finish.returncode == 0, finish.output
    assert None in killed
    ids = [row["classification_id"] for row in landed(data_dir)]
    assert sorted(ids) == served_ids(generated.classifications)
    assert len(ids) == len(set(ids))
    assert_whole_and_clean(data_dir)
