"""``python -m ingest export``: Lab CSV exports into the same landing as the API."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import (
    GZ_WAREHOUSE,
    PROJECT_ID,
    PROJECT_ROOT,
    WORKFLOW_ID,
    clean_environment,
    landed,
    run_dbt,
    run_export,
    run_ingest,
    standin_server,
    vote_counts_in,
)
from recount import recount

from standin import lab_exports, sample
from standin.server import StandInData

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
SLSN = {
    "classifications": FIXTURES / "slsn-classifications.csv",
    "workflows": FIXTURES / "slsn-workflows.csv",
}


def comparable(row: dict) -> tuple:
    """What an API row and an export row of one classification must agree on."""
    return (
        row["classification_id"],
        row["project_id"],
        row["workflow_id"],
        row["workflow_version"],
        row["user_id"],
        row["subject_ids"],
        row["created_at"].replace(microsecond=0),  # exports keep whole seconds
        json.loads(row["annotations"]),
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[sample.Sample, dict[str, Path]]:
    generated = sample.generate(n_classifications=1_200, n_subjects=90, seed=21)
    paths = lab_exports.write_exports(generated, tmp_path_factory.mktemp("exports"))
    return generated, paths


def export_args(paths: dict[str, Path], *kinds: str) -> list[str]:
    return [arg for kind in kinds for arg in (f"--{kind}", str(paths[kind]))]


def test_an_export_lands_exactly_as_the_api_does(exported, tmp_path):
    generated, paths = exported
    with standin_server(StandInData.from_sample(generated)) as api:
        assert run_ingest(api, tmp_path / "api", "--workflow-id", str(WORKFLOW_ID)).returncode == 0

    run = run_export(
        tmp_path / "export", *export_args(paths, "classifications", "workflows", "subjects"),
        "--project-id", str(PROJECT_ID),
    )  # fmt: skip

    assert run.returncode == 0, run.output
    assert "new classifications        1,200" in run.stdout
    from_api = sorted(comparable(r) for r in landed(tmp_path / "api"))
    from_export = sorted(comparable(r) for r in landed(tmp_path / "export"))
    assert from_export == from_api
    assert {r["source"] for r in landed(tmp_path / "export")} == {"export"}
    assert len(landed(tmp_path / "export", "subjects")) == 90
    assert len(landed(tmp_path / "export", "workflow_versions")) == 24


@pytest.mark.slow  # two ingests and two dbt builds: `make test-slow`
def test_overlapping_loads_add_nothing_twice_and_count_like_the_api(exported, tmp_path):
    generated, paths = exported
    data = StandInData.from_sample(generated)
    data.publish(700)
    with standin_server(data) as api:
        assert run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID)).returncode == 0

    first = run_export(tmp_path, *export_args(paths, "classifications", "workflows"))
    again = run_export(tmp_path, *export_args(paths, "classifications", "workflows"))

    assert first.returncode == 0, first.output
    assert "new classifications          500" in first.stdout
    assert "already landed               700" in first.stdout
    assert "project" not in first.stderr  # the project was taken from the API landing
    assert again.returncode == 0, again.output
    assert "new classifications            0" in again.stdout
    assert "files landed                   0" in again.stdout
    rows = landed(tmp_path)
    assert len(rows) == 1_200 and {r["project_id"] for r in rows} == {PROJECT_ID}
    run_dbt(tmp_path, tmp_path / "warehouse.duckdb")
    expected = recount(generated.classifications, generated.workflow_versions, "first")
    assert vote_counts_in(tmp_path / "warehouse.duckdb") == expected


def test_real_galaxy_zoo_export_rows_map_to_the_indices_of_their_own_versions(tmp_path):
    real_versions = sample.generate(n_classifications=0, n_subjects=1)
    workflows = tmp_path / "workflows.csv"
    with workflows.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(lab_exports.WORKFLOW_HEADER)
        writer.writerows(lab_exports.workflow_rows(real_versions))

    run = run_export(
        tmp_path / "data", "--classifications", str(FIXTURES / "gz-decals-classifications.csv"),
        "--workflows", str(workflows),
    )  # fmt: skip

    assert run.returncode == 0, run.output
    versions = {
        f"{v['major_number']}.{v['minor_number']}": v for v in real_versions.workflow_versions
    }
    with (FIXTURES / "gz-decals-classifications.csv").open(newline="") as handle:
        exported_rows = {int(r["classification_id"]): r for r in csv.DictReader(handle)}
    rows = landed(tmp_path / "data")
    assert len(rows) == len(exported_rows) == 9
    for row in rows:
        source = exported_rows[row["classification_id"]]
        version = versions[source["workflow_version"]]
        expected = [
            {"task": a["task"], "value": _index_of(version, a["task"], a["value"])}
            for a in json.loads(source["annotations"])
        ]
        assert json.loads(row["annotations"]) == expected


def _index_of(version: dict, task_key: str, value: object) -> object:
    task = version["tasks"][task_key]
    labels = [version["strings"].get(a["label"], a["label"]) for a in task["answers"]]
    if isinstance(value, list):
        return [labels.index(v) for v in value]
    return None if value is None else labels.index(value)


def broken_export(tmp_path: Path) -> Path:
    """The real SLSN export with one problem per row, and a last line cut short."""
    with SLSN["classifications"].open(newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = reader.fieldnames, list(reader)
    rows[0]["annotations"] = '[{"task": "T0", "value": '
    rows[1]["classification_id"] = "12ab"
    rows[2]["subject_ids"] = ""
    rows[3]["workflow_version"] = "99.1"
    rows[4]["annotations"] = '[{"task": "T0", "task_label": "rising?", "value": "Maybe"}]'
    rows[5]["created_at"] = "yesterday"
    path = tmp_path / "broken.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
        handle.write('543699999,not-logged-in-abc,,abc,10,Superluminous Supernovae,16.55,"{')
    return path


def test_rows_that_cannot_be_read_or_mapped_are_set_aside_and_the_rest_land(tmp_path):
    run = run_export(
        tmp_path, "--classifications", str(broken_export(tmp_path)),
        "--workflows", str(SLSN["workflows"]),
    )  # fmt: skip

    assert run.returncode == 0, run.output
    assert [r["classification_id"] for r in landed(tmp_path)] == [543695453]
    reasons = sorted(r["reason"] for r in landed(tmp_path, "rejected"))
    assert len(reasons) == 7
    assert "annotations is not a JSON list" in reasons
    assert "classification_id is not an integer id: 12ab" in reasons
    assert "classification has no subject" in reasons
    assert "workflow 10 version 99.1 is in neither the workflows export nor the landing" in reasons
    assert "T0 answer is not a label of workflow 10 version 16.55: Maybe" in reasons
    assert 'created_at is not "YYYY-MM-DD HH:MM:SS UTC": yesterday' in reasons
    assert "broken.csv line 9: Value with unterminated quote found." in reasons
    assert "rejected rows                  7" in run.stdout
    run_dbt(tmp_path, tmp_path / "warehouse.duckdb")  # the warehouse still builds


def test_classifications_of_versions_nobody_knows_are_never_guessed(tmp_path):
    run = run_export(
        tmp_path, "--classifications", str(FIXTURES / "fossil-finder-classifications.csv")
    )

    assert run.returncode == 0, run.output
    assert not list(tmp_path.rglob("raw/classifications/**/*.parquet"))
    rejected = landed(tmp_path, "rejected")
    assert len(rejected) == 41
    assert {r["reason"] for r in rejected} == {
        "workflow 371 version 160.317 is in neither the workflows export nor the landing",
        "workflow 1962 version 31.37 is in neither the workflows export nor the landing",
    }


def test_a_missing_file_or_column_is_a_clear_error(tmp_path):
    missing = run_export(tmp_path, "--classifications", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "no such export file" in missing.stderr

    headless = tmp_path / "bad.csv"
    headless.write_text("classification_id,annotations\n1,[]\n")
    lacking = run_export(tmp_path, "--classifications", str(headless))
    assert lacking.returncode == 1
    assert (
        "lacks the column(s) workflow_id, workflow_version, created_at, subject_ids"
        in lacking.stderr
    )

    nothing = run_export(tmp_path)
    assert nothing.returncode == 1 and "give at least one of" in nothing.stderr


def gzipped(path: Path, directory: Path) -> Path:
    packed = directory / f"{path.name}.gz"
    with path.open("rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)
    return packed


def test_gzipped_exports_land_as_the_plain_ones_do(exported, tmp_path):
    _, paths = exported
    packed = {kind: gzipped(path, tmp_path) for kind, path in paths.items()}
    kinds = ("classifications", "workflows", "subjects")

    plain = run_export(tmp_path / "plain", *export_args(paths, *kinds))
    run = run_export(tmp_path / "gzipped", *export_args(packed, *kinds))

    assert run.returncode == 0, run.output
    assert "new classifications        1,200" in run.stdout
    assert "rejected rows                  0" in run.stdout
    for dataset in ("classifications", "subjects", "workflow_versions"):
        assert len(landed(tmp_path / "gzipped", dataset)) == len(
            landed(tmp_path / "plain", dataset)
        ), dataset
    assert sorted(comparable(r) for r in landed(tmp_path / "gzipped")) == sorted(
        comparable(r) for r in landed(tmp_path / "plain")
    )
    assert plain.returncode == 0, plain.output


def run_lab_exports(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``gz-warehouse ingest lab-exports``, the other way to the same command."""
    return subprocess.run(
        [GZ_WAREHOUSE, "ingest", "lab-exports", *args], env=clean_environment(data_dir),
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_an_export_that_is_not_a_csv_is_one_clear_line_and_lands_nothing(exported, tmp_path):
    _, paths = exported
    zipped = tmp_path / "sample-classifications.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(paths["classifications"], paths["classifications"].name)
    utf16 = tmp_path / "utf16-workflows.csv"
    utf16.write_text(paths["workflows"].read_text(encoding="utf-8"), encoding="utf-16")
    binary = tmp_path / "binary-subjects.csv"
    binary.write_bytes(bytes(range(256)) * 64)
    latin1 = tmp_path / "latin1-workflows.csv"
    text = paths["workflows"].read_text(encoding="utf-8")
    assert ",en," in text
    latin1.write_bytes(text.replace(",en,", ",fran\u00e7ais,").encode("latin-1"))
    truncated = gzipped(paths["classifications"], tmp_path)
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    cases = [
        (("--classifications", str(zipped)), "sample-classifications.zip is a zip archive"),
        (("--workflows", str(utf16)), "utf16-workflows.csv is not"),
        (("--subjects", str(binary)), "binary-subjects.csv is not"),
        (("--workflows", str(latin1)), "latin1-workflows.csv is not"),
        (("--classifications", str(truncated), "--workflows", str(paths["workflows"])),
         "sample-classifications.csv.gz"),
    ]  # fmt: skip

    for number, (args, message) in enumerate(cases):
        for run in (
            run_export(tmp_path / f"data{number}", *args),
            run_lab_exports(tmp_path / f"data{number}", *args),
        ):
            assert run.returncode == 1, (args, run.stdout, run.stderr)
            assert "Traceback" not in run.stderr, run.stderr
            errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
            assert len(errors) == 1 and message in errors[0], run.stderr
        assert not list((tmp_path / f"data{number}").glob("raw/classifications/**/*.parquet"))
    zip_error = run_export(tmp_path / "data0", *cases[0][0]).stderr
    assert "unzip" in zip_error


def test_a_classification_repeated_in_the_file_lands_once_and_the_summary_adds_up(
    exported, tmp_path
):
    _, paths = exported
    lines = paths["classifications"].read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    doubled = tmp_path / "doubled.csv"
    # 300 rows twice, one of them changed in its second copy: still one classification
    changed = rows[299].replace('""source"":""api""', '""source"":""api, again""', 1)
    assert changed != rows[299]
    doubled.write_text("".join([header, *rows, *rows[:299], changed]), encoding="utf-8")

    run = run_export(
        tmp_path, "--classifications", str(doubled), "--workflows", str(paths["workflows"])
    )

    assert run.returncode == 0, run.output
    ids = [r["classification_id"] for r in landed(tmp_path)]
    assert len(ids) == len(set(ids)) == 1_200
    assert "rows read                  1,500" in run.stdout
    assert "new classifications        1,200" in run.stdout
    assert "already landed                 0" in run.stdout
    assert "repeated in the file         300" in run.stdout
    assert "rejected rows                  0" in run.stdout
