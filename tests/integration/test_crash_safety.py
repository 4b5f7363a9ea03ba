"""SIGKILL at any moment, then a normal run: everything served lands exactly once, every landed
file reads, and what the killed runs left behind is cleaned up.

Each kill comes at a point of the run the test sees happen (a request reaching the stand-in, a
line logged, a file being written), while the run is kept from finishing: the stand-in holds a
later request unanswered, or the process stops just before it lands a file. So every kill lands
mid-run however fast or slow the machine is.
"""

from __future__ import annotations

import math
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROJECT_ID,
    WORKFLOW_ID,
    clean_environment,
    landed,
    run_export,
    run_ingest,
    served_ids,
    standin_server,
)

from ingest.landing import Landing
from standin import lab_exports, sample
from standin.server import Fault, PanoptesStandIn, StandInData

PAGE_SIZE = 20
KILLED = -signal.SIGKILL  # the exit code of a process that SIGKILL ended
GIVE_UP_S = 300  # a run that reaches none of its points by then is stuck: fail, do not wait on

# ``python -m ingest``, stopped just before it lands its first file under raw/<argv[1]>/: the
# file is whole under its temporary name, not yet renamed into place. It says so on stdout and
# stays stopped until its stdin closes.
STOPPED_BEFORE_LANDING = """
import runpy, sys

def stop_before_landing(event, args):
    if event == "os.rename" and f"/raw/{dataset}/" in str(args[1]):
        print("about to land", args[1], flush=True)
        sys.stdin.read()

dataset = sys.argv.pop(1)
sys.addaudithook(stop_before_landing)
runpy.run_module("ingest", run_name="__main__", alter_sys=True)
"""


class Run:
    """A real ingest process, its output (stdout and stderr) collected line by line."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def printed(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def writing(self, directory: Path) -> bool:
        """Whether this process has a file in the making under ``directory`` (see landing.py)."""
        return any(directory.rglob(f".*.{self.process.pid}.tmp"))

    def kill_once(self, reached: Callable[[], bool]) -> int:
        """SIGKILL the process as soon as ``reached()``; its exit code (``KILLED``, unless it
        ended by itself first)."""
        give_up = time.monotonic() + GIVE_UP_S
        try:
            while self.process.poll() is None and not reached():
                assert time.monotonic() < give_up, "".join(self.lines[-20:])
                time.sleep(0.005)
        finally:
            self.process.kill()  # nothing to do if it has ended
            self.process.wait()
            assert self.process.stdin is not None
            self.process.stdin.close()
            self._reader.join()
        return self.process.returncode


def assert_whole_and_clean(data_dir: Path) -> None:
    for path in (data_dir / "raw").rglob("*.parquet"):
        pq.read_table(path)  # raises on a torn file
    assert not list(data_dir.rglob("*.tmp"))


def pages_to_come(api: PanoptesStandIn, data_dir: Path) -> int:
    """Classification pages the next run asks for: those after what has landed, and the empty
    one that ends the stream."""
    after = Landing(data_dir).classification_watermark(PROJECT_ID, WORKFLOW_ID)
    rows, _ = api.data.classifications(PROJECT_ID, WORKFLOW_ID, after, 0, sys.maxsize)
    return math.ceil(len(rows) / PAGE_SIZE) + 1


def test_killing_ingest_api_anywhere_loses_and_duplicates_nothing(tmp_path):
    generated = sample.generate(n_classifications=1_500, n_subjects=120, seed=51)
    rng = random.Random(51)
    command = [
        sys.executable, "-m", "ingest", "api", "--project-id", str(PROJECT_ID), "--workflow-id",
        str(WORKFLOW_ID), "--page-size", str(PAGE_SIZE), "--rows-per-file", "100",
    ]  # fmt: skip
    env = clean_environment(tmp_path) | {
        "PANOPTES_CLIENT_ID": CLIENT_ID,
        "PANOPTES_CLIENT_SECRET": CLIENT_SECRET,
    }
    classifications = tmp_path / "raw" / "classifications"

    with standin_server(StandInData.from_sample(generated)) as api:

        def held_page(earliest: float, latest: float) -> Fault:
            """A hold on the classification page this far through what the next run fetches."""
            pages_before = round(rng.uniform(earliest, latest) * (pages_to_come(api, tmp_path) - 1))
            return Fault("hold", path="/classifications", after=pages_before)

        def kill(hold: Fault, when: Callable[[Run], bool] | None = None) -> int:
            """Run, kill once it waits on the held request (or sooner, ``when``); exit code."""
            api.faults.add(hold)
            run = Run([*command, "--api-url", api.url], env)
            try:
                return run.kill_once(lambda: hold.held.is_set() or bool(when and when(run)))
            finally:
                api.faults.clear()
                hold.release()

        killed = [
            kill(held_page(0.0, 0.5)),  # early in the stream, before any file lands
            kill(Fault("hold", path="/subjects"), when=lambda run: run.writing(classifications)),
            kill(held_page(0.5, 1.0)),  # late in the stream
            kill(Fault("hold", path="/subjects")),  # every classification landed
            kill(Fault("hold", path="/subjects", after=1)),  # between two pages of subjects
            kill(Fault("hold", path="/workflow_versions")),  # subjects landed
        ]
        landed_before_last_run = len(landed(tmp_path)) if classifications.exists() else 0
        finish = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    assert finish.returncode == 0, finish.output
    assert killed == [KILLED] * len(killed)  # every run was killed mid-run
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
        "--project-id", str(PROJECT_ID),
    ]  # fmt: skip
    data_dir = tmp_path / "data"
    classifications = data_dir / "raw" / "classifications"

    def kill(dataset: str, when: Callable[[Run], bool] | None = None) -> int:
        """Run, kill once it stops before landing ``dataset`` (or sooner, ``when``); exit code."""
        launch = [sys.executable, "-c", STOPPED_BEFORE_LANDING, dataset]
        run = Run([*launch, "export", "-v", *args], clean_environment(data_dir))
        return run.kill_once(lambda: run.printed("about to land") or bool(when and when(run)))

    # A run lands workflow versions, then subjects, then classifications.
    killed = [
        kill("workflow_versions"),  # nothing landed yet
        kill("subjects"),  # workflow versions landed
        kill("classifications", when=lambda run: run.printed("converting")),  # starting on them
        kill("classifications", when=lambda run: run.printed("rows converted")),  # a batch done
        kill("classifications", when=lambda run: run.writing(classifications)),  # in the making
        kill("classifications"),  # whole, not yet renamed into place
    ]

    finish = run_export(data_dir, *args)

    assert finish.returncode == 0, finish.output
    assert killed == [KILLED] * len(killed)  # every run was killed mid-run
    ids = [row["classification_id"] for row in landed(data_dir)]
    assert sorted(ids) == served_ids(generated.classifications)
    assert len(ids) == len(set(ids))
    assert_whole_and_clean(data_dir)
