"""``ingest api`` lands every classification Panoptes serves exactly once: ids visible late or
served out of order, pages that overlap, rows an export set aside, runs that fail or are killed
midway, and a resource the JSON encoders refuse. Real HTTP against the stand-in, real parquet."""

from __future__ import annotations

import copy
import csv
import re
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROJECT_ID,
    WORKFLOW_ID,
    clean_environment,
    landed,
    run_export,
    run_ingest,
    standin_server,
)

from standin import lab_exports, sample
from standin.server import Fault, PanoptesStandIn, StandInData

WORKFLOW = ("--workflow-id", str(WORKFLOW_ID))


def ids_of(classifications: list[dict[str, Any]]) -> list[int]:
    return sorted(int(c["id"]) for c in classifications)


def landed_ids(data_dir: Path) -> list[int]:
    return sorted(row["classification_id"] for row in landed(data_dir))


def asked_after(api: PanoptesStandIn) -> list[int]:
    """``last_id`` of every classification request answered, in order."""
    return [
        int(r.params["last_id"])
        for r in api.requests_to("/api/classifications/project")
        if r.status == 200
    ]


def summary_count(stdout: str, label: str) -> int:
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d,]+)\s*$", stdout, re.MULTILINE)
    assert match, stdout
    return int(match.group(1).replace(",", ""))


def no_subject(classification: dict[str, Any]) -> dict[str, Any]:
    """A copy that cannot land (no subject), with the same id."""
    broken = copy.deepcopy(classification)
    broken["links"]["subjects"] = []
    return broken


# -- rows an export set aside ------------------------------------------------------------------


def reword_labels(path: Path, rows: set[int]) -> int:
    """Reword the first answer label of the given data rows of a classification export, as a
    label edited in the project builder after the export reads; returns how many changed."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        header, records = reader.fieldnames, list(reader)
    changed = 0
    for index in rows:
        annotations = orjson.loads(records[index]["annotations"])
        first = annotations[0]
        if isinstance(first["value"], str):
            first["value"] += " (reworded)"
            records[index]["annotations"] = orjson.dumps(annotations).decode()
            changed += 1
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(records)
    return changed


def test_rows_an_export_set_aside_are_fetched_from_the_api_and_nothing_else_is(tmp_path):
    generated = sample.generate(n_classifications=2_000, n_subjects=150, seed=61)
    paths = lab_exports.write_exports(generated, tmp_path / "exports")
    clusters = [range(start, start + 25) for start in (100, 700, 1_300, 1_900)]
    set_aside = reword_labels(paths["classifications"], {i for c in clusters for i in c})
    data = tmp_path / "data"
    loaded = run_export(
        data, "--classifications", str(paths["classifications"]),
        "--workflows", str(paths["workflows"]), "--project-id", str(PROJECT_ID),
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.output
    assert summary_count(loaded.stdout, "rejected rows") == set_aside >= 90

    with standin_server(StandInData.from_sample(generated)) as api:
        run = run_ingest(api, data, *WORKFLOW)

    assert run.returncode == 0, run.output
    ids = landed_ids(data)
    assert ids == ids_of(generated.classifications)  # every one, each once
    assert summary_count(run.stdout, "new classifications") == set_aside
    assert "rows set aside and still outstanding: 0" in run.stdout
    # Only the windows holding the rows set aside are read again, one request for each.
    ordered = ids_of(generated.classifications)
    windows = [ordered[c[0]] - 1 for c in clusters]
    assert set(windows) <= set(asked_after(api))
    assert len(asked_after(api)) <= len(windows) + 3  # the head of the stream, the lookback


# -- ids visible late, or served out of order or twice -----------------------------------------


def recent(generated: sample.Sample, last: int, every: timedelta) -> sample.Sample:
    """The sample with its last ``last`` classifications made ``every`` apart, as on a busy
    day, so that an hour holds many of them."""
    classifications = copy.deepcopy(generated.classifications)
    start = datetime.fromisoformat(classifications[-last]["created_at"])
    for n, classification in enumerate(classifications[-last:]):
        moment = start + n * every
        classification["created_at"] = moment.isoformat(timespec="milliseconds")
    return sample.Sample(
        classifications, generated.subjects, generated.workflows, generated.workflow_versions
    )


def test_ids_that_become_visible_late_land_on_the_next_run_and_are_counted(tmp_path):
    generated = recent(sample.generate(n_classifications=600, n_subjects=60, seed=62), 200,
                       timedelta(seconds=10))  # fmt: skip
    ordered = ids_of(generated.classifications)
    late = ordered[520:570:2]  # committed late: below ids already served
    data = StandInData.from_sample(generated)
    data.hide(late)
    with standin_server(data) as api:
        first = run_ingest(api, tmp_path, *WORKFLOW)
        data.reveal()
        api.requests.clear()
        without_lookback = run_ingest(api, tmp_path, *WORKFLOW, "--lookback-minutes", "0")
        asked_without = asked_after(api)
        api.requests.clear()
        second = run_ingest(api, tmp_path, *WORKFLOW)

    assert first.returncode == 0, first.output
    assert summary_count(first.stdout, "new classifications") == 600 - len(late)
    assert without_lookback.returncode == 0, without_lookback.output
    assert asked_without == [ordered[-1]]
    assert summary_count(without_lookback.stdout, "new classifications") == 0
    assert second.returncode == 0, second.output
    assert landed_ids(tmp_path) == ordered
    assert summary_count(second.stdout, "new classifications") == len(late)
    assert summary_count(second.stdout, "late arrivals landed") == len(late)
    # The newest id first, then the hour before it: the last 200 are 10 s apart, the one
    # before them a day earlier.
    assert asked_after(api)[:2] == [ordered[-1], ordered[400] - 1]
    assert min(asked_after(api)) == ordered[400] - 1


def test_ids_served_out_of_order_within_a_run_all_land(tmp_path):
    generated = sample.generate(n_classifications=1_000, n_subjects=80, seed=63)
    ordered = ids_of(generated.classifications)
    data = StandInData.from_sample(generated)
    data.defer(ordered[100:200], until=ordered[800])  # a page whose ids go down, 60 pages on
    with standin_server(data) as api:
        run = run_ingest(api, tmp_path, *WORKFLOW, "--page-size", "10")

    assert run.returncode == 0, run.output
    assert landed_ids(tmp_path) == ordered
    assert summary_count(run.stdout, "new classifications") == 1_000
    assert summary_count(run.stdout, "rejected rows") == 0


def test_pages_that_overlap_land_and_count_each_classification_once(tmp_path):
    generated = sample.generate(n_classifications=1_000, n_subjects=80, seed=64)
    data = StandInData.from_sample(generated)
    data.overlap = 3  # each page serves again the last three of the page before
    with standin_server(data) as api:
        run = run_ingest(api, tmp_path, *WORKFLOW)

    assert run.returncode == 0, run.output
    assert landed_ids(tmp_path) == ids_of(generated.classifications)
    assert summary_count(run.stdout, "new classifications") == 1_000


# -- runs that fail or are killed midway -------------------------------------------------------


def accounted_for(data_dir: Path) -> set[int]:
    """Ids landed or set aside."""
    rejected: set[int] = set()
    if any((data_dir / "raw" / "rejected").rglob("*.parquet")):
        rejected = {r["entity_id"] for r in landed(data_dir, "rejected")} - {None}
    return set(landed_ids(data_dir)) | rejected


def test_rows_set_aside_are_on_disk_before_a_later_row_lands(tmp_path):
    generated = sample.generate(n_classifications=300, n_subjects=40, seed=65)
    served = list(generated.classifications)
    for position in (10, 11, 120):
        served[position] = no_subject(served[position])
    ordered = ids_of(served)
    data = StandInData(served, generated.subjects, generated.workflows, generated.workflow_versions)
    options = (*WORKFLOW, "--page-size", "5", "--rows-per-file", "5")
    with standin_server(data) as api:
        # The server fails for good once the first batch of pages is in.
        api.faults.add(Fault("status", status=500, times=10_000, after=55, path="/classifications"))
        failed = run_ingest(api, tmp_path, *options, "--max-retries", "0")
        api.faults.clear()
        landed_before = landed_ids(tmp_path)
        accounted_before = accounted_for(tmp_path)
        finished = run_ingest(api, tmp_path, *options)

    assert failed.returncode == 1, failed.output
    assert landed_before  # files rolled before the failure
    # Everything up to the newest id landed is landed or set aside.
    assert {i for i in ordered if i <= max(landed_before)} <= accounted_before
    assert finished.returncode == 0, finished.output
    assert landed_ids(tmp_path) == [i for n, i in enumerate(ordered) if n not in (10, 11, 120)]
    rejected = [r["entity_id"] for r in landed(tmp_path, "rejected") if r["entity_id"]]
    assert sorted(rejected) == [ordered[10], ordered[11], ordered[120]]  # each set aside once


# ``python -m ingest``, stopped just before it lands a classification file once a file of rows
# set aside has landed. It says so on stdout and stays stopped until killed.
STOPPED_AFTER_REJECTED = """
import pathlib, runpy, sys

def stop(event, args):
    if event == "os.rename" and "/raw/classifications/" in str(args[1]):
        if any(pathlib.Path(sys.argv[-1]).glob("raw/rejected/**/*.parquet")):
            print("about to land", args[1], flush=True)
            sys.stdin.read()

sys.addaudithook(stop)
runpy.run_module("ingest", run_name="__main__", alter_sys=True)
"""


def test_a_file_of_rows_set_aside_never_moves_the_next_start_past_good_rows(tmp_path):
    # 50 pages of 5 make the first batch; the last page holds two good rows and, above them,
    # one set aside: a file of fewer rows than --rows-per-file, landed at the end of the run.
    generated = sample.generate(n_classifications=253, n_subjects=40, seed=66)
    served = list(generated.classifications)
    served[-1] = no_subject(served[-1])
    good = ids_of(served)[:-1]
    data = StandInData(served, generated.subjects, generated.workflows, generated.workflow_versions)
    env = clean_environment(tmp_path) | {
        "PANOPTES_CLIENT_ID": CLIENT_ID,
        "PANOPTES_CLIENT_SECRET": CLIENT_SECRET,
    }
    with standin_server(data) as api:
        command = [
            sys.executable, "-c", STOPPED_AFTER_REJECTED, "api", "--project-id", str(PROJECT_ID),
            *WORKFLOW, "--api-url", api.url, "--page-size", "5", "--rows-per-file", "5",
            "--data-dir", str(tmp_path),
        ]  # fmt: skip
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        stopped = threading.Event()

        def watch() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("about to land"):
                    stopped.set()
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        watcher.join(timeout=120)
        process.kill()
        process.wait()
        assert stopped.is_set(), "the run never stopped before landing a file"
        finished = run_ingest(api, tmp_path, *WORKFLOW)

    assert finished.returncode == 0, finished.output
    assert landed_ids(tmp_path) == good
    assert len(landed(tmp_path, "rejected")) == 1


# -- memory --------------------------------------------------------------------------------------

# ``python -m ingest``, saying its peak resident memory (KiB) on stderr as it exits.
SAYS_PEAK_MEMORY = """
import atexit, resource, runpy, sys

atexit.register(lambda: print("peak KiB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                              file=sys.stderr))
runpy.run_module("ingest", run_name="__main__", alter_sys=True)
"""


def test_large_classifications_are_converted_a_bounded_number_of_bytes_at_a_time(tmp_path):
    generated = sample.generate(n_classifications=1_000, n_subjects=30, seed=69)
    for classification in generated.classifications:  # 200 KB each: 200 MB in all
        classification["metadata"]["padding"] = "x" * 200_000
    env = clean_environment(tmp_path) | {
        "PANOPTES_CLIENT_ID": CLIENT_ID,
        "PANOPTES_CLIENT_SECRET": CLIENT_SECRET,
    }
    with standin_server(StandInData.from_sample(generated)) as api:
        done = subprocess.run(
            [sys.executable, "-c", SAYS_PEAK_MEMORY, "api", "-q", "--project-id",
             str(PROJECT_ID), *WORKFLOW, "--api-url", api.url],
            env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert summary_count(done.stdout, "new classifications") == 1_000
    peak_mib = int(re.search(r"peak KiB (\d+)", done.stderr).group(1)) / 1024
    # Converting a page takes many times its size (DuckDB's JSON functions): about 1 GiB for
    # one 20 MB page at a time, more than twice that for the whole stream in one batch.
    assert peak_mib < 1_600, f"peak {peak_mib:.0f} MiB"


# -- a resource the JSON encoders refuse --------------------------------------------------------


def test_a_lone_surrogate_sets_aside_only_its_own_classification(tmp_path):
    generated = sample.generate(n_classifications=300, n_subjects=40, seed=67)
    ordered = ids_of(generated.classifications)
    odd = copy.deepcopy(generated.classifications[150])
    odd["metadata"]["user_language"] = "MARK"
    body = orjson.dumps(odd).replace(b'"MARK"', b'"en\\ud83d"')  # half an emoji
    data = StandInData.from_sample(generated)
    data.replace_body(int(odd["id"]), body)
    with standin_server(data) as api:
        run = run_ingest(api, tmp_path, *WORKFLOW)
        again = run_ingest(api, tmp_path, *WORKFLOW)

    assert run.returncode == 0, run.output
    assert landed_ids(tmp_path) == [i for i in ordered if i != int(odd["id"])]
    [rejected] = landed(tmp_path, "rejected")
    assert rejected["entity_id"] == int(odd["id"])
    assert "surrogate" in rejected["reason"]
    assert "\\ud83d" in rejected["raw"]
    assert summary_count(run.stdout, "rejected rows") == 1
    assert again.returncode == 0, again.output
    assert summary_count(again.stdout, "rejected rows") == 0  # set aside once


# -- a landed file that cannot be read ----------------------------------------------------------


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> tuple[sample.Sample, Path]:
    """A landing after one run, with a file of rows set aside."""
    generated = sample.generate(n_classifications=200, n_subjects=30, seed=68)
    served = [*generated.classifications[:-1], no_subject(generated.classifications[-1])]
    data = StandInData(served, generated.subjects, generated.workflows, generated.workflow_versions)
    directory = tmp_path_factory.mktemp("ingested") / "data"
    with standin_server(data) as api:
        assert run_ingest(api, directory, *WORKFLOW).returncode == 0
    return generated, directory


@pytest.mark.parametrize(
    "dataset", ["classifications", "subjects", "workflow_versions", "rejected", "for an export"]
)
def test_a_damaged_landed_file_stops_ingest_with_one_line_naming_it(ingested, tmp_path, dataset):
    generated, original = ingested
    data = tmp_path / "data"
    subprocess.run(["cp", "-r", str(original), str(data)], check=True)
    damaged = sorted((data / "raw" / dataset.replace("for an export", "workflow_versions"))
                     .rglob("*.parquet"))[0]  # fmt: skip
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])

    if dataset == "for an export":
        exports = lab_exports.write_exports(generated, tmp_path / "exports")
        run = run_export(data, "-q", "--classifications", str(exports["classifications"]))
    else:
        with standin_server(StandInData.from_sample(generated)) as api:
            run = run_ingest(api, data, "-q", *WORKFLOW)

    assert run.returncode == 1, run.output
    assert "Traceback" not in run.stderr
    [line] = run.stderr.strip().splitlines()
    assert str(damaged) in line
    assert "move it" in line
