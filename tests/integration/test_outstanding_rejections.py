"""Rows set aside stay outstanding only until they land by some path: the ingest summaries and
the `outstanding_rejections` view agree on what is left."""

from __future__ import annotations

import copy
import csv
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from conftest import WORKFLOW_ID, landed, run_dbt, run_export, run_ingest, standin_server

from standin import lab_exports, sample
from standin.server import StandInData

TRUNCATED_LINE = '999999999,not-logged-in-abc,,abc,6122,Galaxy Zoo DECaLS,"{'
STATUS = re.compile(
    r"rows set aside and still outstanding: (\d+) \((\d+) resolved since: landed by a later run\)"
)


def set_aside_status(stdout: str) -> tuple[int, int]:
    """(outstanding, resolved) from the last line of an ingest summary."""
    match = STATUS.fullmatch(stdout.strip().splitlines()[-1].strip())
    assert match, stdout
    return int(match.group(1)), int(match.group(2))


def with_truncated_last_line(path: Path) -> Path:
    with path.open("a") as handle:
        handle.write(TRUNCATED_LINE)
    return path


def without_version(workflows: Path, classifications: Path, directory: Path) -> tuple[Path, int]:
    """A copy of the workflows export lacking its most used version, and how many
    classifications were made under that version."""
    with classifications.open(newline="") as handle:
        used = Counter(
            (row["workflow_id"], row["workflow_version"]) for row in csv.DictReader(handle)
        )
    (workflow_id, version), count = used.most_common(1)[0]
    major, minor = version.split(".")
    with workflows.open(newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        rows = [
            row
            for row in reader
            if (row["workflow_id"], row["version"], row["minor_version"])
            != (workflow_id, major, minor)
        ]
    path = directory / "workflows-lacking-a-version.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path, count


def test_rows_set_aside_for_an_unknown_version_are_resolved_when_loaded_again(tmp_path):
    generated = sample.generate(n_classifications=300, n_subjects=40, seed=33)
    paths = lab_exports.write_exports(generated, tmp_path / "exports")
    classifications = with_truncated_last_line(paths["classifications"])
    partial, unknown = without_version(paths["workflows"], classifications, tmp_path)
    data = tmp_path / "data"

    first = run_export(data, "--classifications", str(classifications), "--workflows", str(partial))
    again = run_export(
        data, "--classifications", str(classifications), "--workflows", str(paths["workflows"])
    )

    assert first.returncode == 0, first.output
    assert set_aside_status(first.stdout) == (unknown + 1, 0)
    assert again.returncode == 0, again.output
    # The unreadable line is set aside again: still one item, and it never resolves.
    assert set_aside_status(again.stdout) == (1, unknown)
    assert len(landed(data)) == 300


@pytest.mark.slow  # another series of ingests and builds: `make test-slow`
@pytest.mark.dbt
def test_the_view_holds_exactly_what_no_path_has_landed(tmp_path):
    generated = sample.generate(n_classifications=400, n_subjects=40, seed=34)
    good = generated.classifications
    no_subject = copy.deepcopy(good[-1])  # the export has it whole
    no_subject["links"]["subjects"] = []
    bad_id = copy.deepcopy(good[0])
    bad_id["id"] = "12ab"
    served = [*good[:-1], no_subject, bad_id]
    data = tmp_path / "data"
    database = tmp_path / "warehouse.duckdb"
    api_data = StandInData(
        served, generated.subjects, generated.workflows, generated.workflow_versions
    )
    with standin_server(api_data) as api:
        from_api = run_ingest(api, data, "--workflow-id", str(WORKFLOW_ID))
    paths = lab_exports.write_exports(generated, tmp_path / "exports")
    classifications = with_truncated_last_line(paths["classifications"])

    from_export = run_export(
        data, "--classifications", str(classifications), "--workflows", str(paths["workflows"])
    )
    run_dbt(data, database)

    assert from_api.returncode == 0, from_api.output
    assert set_aside_status(from_api.stdout) == (2, 0)
    assert from_export.returncode == 0, from_export.output
    assert set_aside_status(from_export.stdout) == (2, 1)  # the bad id and the unreadable line
    with duckdb.connect(str(database), read_only=True) as con:
        outstanding = con.sql(
            "select entity, entity_id, source, reason, times_rejected"
            " from main.outstanding_rejections order by entity"
        ).fetchall()
    assert outstanding == [
        ("classification", None, "api", "id is not an integer id: 12ab", 1),
        (
            "csv_line",
            None,
            "export",
            f"{classifications.name} line 402: Value with unterminated quote found.",
            1,
        ),
    ]
