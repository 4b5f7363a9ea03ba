"""Panoptes' own per-subject counts: its subject workflow statuses land as snapshots of what
changed, and the warehouse reconciles the landed classifications with them (the subjects'
retirement, `classification_count_mismatches`, the dashboard's retirement figures).

The statuses are read from the stand-in over real HTTP; the warehouse is built twice on one
landing: from the Lab's exports alone (no statuses), then with the statuses landed.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_WORKFLOW_ID,
    PROJECT_ID,
    WORKFLOW_ID,
    landed,
    run_dbt,
    run_export,
    standin_server,
)

from ingest import records
from ingest.landing import REJECTED, SUBJECT_WORKFLOW_STATUSES, Landing
from ingest.panoptes import AuthError, PanoptesClient, make_retry
from ingest.settings import Credentials
from ingest.statuses import ingest_subject_workflow_statuses
from standin import lab_exports, sample
from standin.server import PanoptesStandIn, StandInData
from warehouse.dashboard import Marts

WORKFLOWS = [WORKFLOW_ID, OTHER_WORKFLOW_ID]


@pytest.fixture(scope="module")
def generated() -> sample.Sample:
    """Two workflows, about 20 classifications per subject in each: some retire (at 25)."""
    latest = copy.deepcopy(sample.workflow_6122_versions()[-1])
    latest["id"] = "99000001"
    return sample.generate(
        n_classifications=1_600,
        n_subjects=40,
        seed=11,
        workflows={
            WORKFLOW_ID: list(sample.workflow_6122_versions()),
            OTHER_WORKFLOW_ID: [latest],
        },
    )


@pytest.fixture
def api(generated: sample.Sample) -> Iterator[PanoptesStandIn]:
    with standin_server(StandInData.from_sample(generated)) as server:
        yield server


def client_for(api: PanoptesStandIn) -> PanoptesClient:
    return PanoptesClient(
        api.url, Credentials(CLIENT_ID, CLIENT_SECRET), retry=make_retry(backoff_factor=0.05)
    )


def ingest_statuses(api: PanoptesStandIn, data_dir: Path):
    client = client_for(api)
    try:
        return ingest_subject_workflow_statuses(client, Landing(data_dir), PROJECT_ID, WORKFLOWS)
    finally:
        client.close()


def served_statuses(data: StandInData) -> dict[tuple[int, int], dict[str, Any]]:
    """{(subject, workflow): status} as the stand-in serves them now."""
    served = [orjson.loads(body) for body in data.subject_workflow_statuses(None, None)]
    return {(int(s["links"]["subject"]), int(s["links"]["workflow"])): s for s in served}


def status_files(data_dir: Path) -> list[Path]:
    return Landing(data_dir).files(SUBJECT_WORKFLOW_STATUSES)


# -- the pure conversion -----------------------------------------------------------------------

STATUS = {
    "id": "7",
    "classifications_count": 25,
    "retired_at": "2019-04-21T08:22:22Z",
    "retirement_reason": "classification_count",
    "created_at": "2019-03-20T06:23:12Z",
    "updated_at": "2019-04-21T08:22:22Z",
    "links": {"workflow": "6122", "subject": "4"},
}


def test_a_status_becomes_a_landing_row():
    at = datetime(2024, 1, 1)

    row = records.subject_workflow_status_row(STATUS, 1, PROJECT_ID, at)

    assert row["subject_id"] == 4 and row["workflow_id"] == 6122
    assert row["project_id"] == PROJECT_ID and row["classifications_count"] == 25
    assert row["retired_at"] == datetime(2019, 4, 21, 8, 22, 22)
    assert row["retirement_reason"] == "classification_count"
    assert orjson.loads(row["raw"]) == STATUS and row["ingested_at"] == at
    active = records.subject_workflow_status_row(
        {**STATUS, "retired_at": None, "retirement_reason": None}, 1, PROJECT_ID, at
    )
    assert active["retired_at"] is None and active["retirement_reason"] is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"classifications_count": "25"}, "classifications_count is not a count"),
        ({"classifications_count": -1}, "classifications_count is not a count"),
        ({"retired_at": "yesterday"}, "retired_at is not a timestamp"),
        ({"retirement_reason": 3}, "retirement_reason is not text"),
        ({"links": {"workflow": "6122"}}, "links.subject is not an integer id"),
    ],
)
def test_a_bad_status_is_refused_with_its_reason(change, reason):
    with pytest.raises(records.RecordError, match=reason):
        records.subject_workflow_status_row({**STATUS, **change}, 1, PROJECT_ID, datetime.now())


# -- landing the statuses ------------------------------------------------------------------------


def test_a_second_run_lands_nothing_when_nothing_changed(api, tmp_path):
    served = served_statuses(api.data)

    first = ingest_statuses(api, tmp_path)
    files = status_files(tmp_path)
    second = ingest_statuses(api, tmp_path)

    assert (first.fetched, first.landed, first.rejected) == (len(served), len(served), 0)
    assert (second.fetched, second.landed, second.files) == (len(served), 0, 0)
    assert status_files(tmp_path) == files
    rows = landed(tmp_path, "subject_workflow_statuses")
    assert {(r["subject_id"], r["workflow_id"]): r["classifications_count"] for r in rows} == {
        key: status["classifications_count"] for key, status in served.items()
    }
    assert {r["workflow_id"] for r in rows} == set(WORKFLOWS)
    assert any(r["retirement_reason"] == "classification_count" for r in rows)


def test_a_changed_count_or_retirement_lands_a_new_snapshot(api, tmp_path):
    ingest_statuses(api, tmp_path)
    served = served_statuses(api.data)
    counted, retired = sorted(served)[:2]
    api.data.status_overrides[counted] = {
        "classifications_count": served[counted]["classifications_count"] + 1
    }
    api.data.status_overrides[retired] = {
        "retired_at": "2018-01-01T00:00:00Z",
        "retirement_reason": "flagged",
    }

    again = ingest_statuses(api, tmp_path)

    assert again.landed == 2
    snapshots: dict[tuple[int, int], list[dict]] = {}
    for row in sorted(
        landed(tmp_path, "subject_workflow_statuses"), key=lambda r: r["ingested_at"]
    ):
        snapshots.setdefault((row["subject_id"], row["workflow_id"]), []).append(row)
    assert len(snapshots[counted]) == 2 and len(snapshots[retired]) == 2  # append-only
    old, new = snapshots[counted]
    assert new["classifications_count"] == old["classifications_count"] + 1
    assert (snapshots[retired][-1]["retired_at"], snapshots[retired][-1]["retirement_reason"]) == (
        datetime(2018, 1, 1),
        "flagged",
    )
    assert all(len(s) == 1 for key, s in snapshots.items() if key not in (counted, retired))


def test_a_bad_status_is_set_aside_once_and_the_others_land(api, tmp_path):
    bad = sorted(served_statuses(api.data))[0]
    api.data.status_overrides[bad] = {"classifications_count": "many"}

    first = ingest_statuses(api, tmp_path)
    second = ingest_statuses(api, tmp_path)

    assert (first.rejected, second.rejected) == (1, 0)
    assert first.landed == len(served_statuses(api.data)) - 1
    [rejected] = landed(tmp_path, "rejected")
    assert rejected["entity"] == "subject_workflow_status"
    assert rejected["workflow_id"] == bad[1] and rejected["source"] == "api"
    assert rejected["reason"] == "classifications_count is not a count: 'many'"
    assert orjson.loads(rejected["raw"])["links"]["subject"] == str(bad[0])
    assert Landing(tmp_path).files(REJECTED)


@pytest.mark.parametrize("status", [403, 404])
def test_statuses_refused_to_these_credentials_do_not_fail_the_run(api, tmp_path, caplog, status):
    api.faults.add(f"status,status={status},times=5,path=/subject_workflow_statuses")

    with caplog.at_level(logging.WARNING, logger="ingest"):
        summary = ingest_statuses(api, tmp_path)

    assert summary.refused and f"HTTP {status}" in summary.refused
    assert (summary.fetched, summary.landed) == (0, 0)
    assert any("credentials" in line for line in summary.lines())
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()
    assert CLIENT_SECRET not in caplog.text
    # the warehouse can still read the (empty) dataset
    [empty] = status_files(tmp_path)
    assert landed(tmp_path, "subject_workflow_statuses") == []
    assert empty.parent.name == "workflow_id=0"


def test_refused_credentials_still_fail_the_run(api, tmp_path):
    client = PanoptesClient(api.url, Credentials(token="not-a-token"))
    try:
        with pytest.raises(AuthError):
            ingest_subject_workflow_statuses(client, Landing(tmp_path), PROJECT_ID, WORKFLOWS)
    finally:
        client.close()


# -- the warehouse -------------------------------------------------------------------------------


@dataclass
class Reconciled:
    data_dir: Path
    database: Path
    data: StandInData
    export_only_output: str
    export_only: dict[str, Any]
    export_statuses_files: list[Path]
    output: str = ""
    missing: tuple[int, int] = (0, 0)
    extra: tuple[int, int] = (0, 0)
    earliest: tuple[int, int] = (0, 0)

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql).fetchall()


# what these tests read, and the data tests of nothing else
SELECTED = (
    "--select", "+subjects", "+classification_count_mismatches", "+workflows",
    "+subject_activity",
    "--indirect-selection", "cautious",
)  # fmt: skip


@pytest.fixture(scope="module")
def reconciled(generated, tmp_path_factory) -> Reconciled:
    """Exports only, built; then Panoptes' statuses landed twice (three of them changed in
    between, to disagree with the landing), built."""
    root = tmp_path_factory.mktemp("reconcile")
    data_dir, database = root / "data", root / "warehouse.duckdb"
    paths = lab_exports.write_exports(generated, root / "exports")
    loaded = run_export(
        data_dir,
        "--classifications", str(paths["classifications"]),
        "--workflows", str(paths["workflows"]),
        "--subjects", str(paths["subjects"]),
        "--project-id", str(PROJECT_ID),
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.output
    export_statuses_files = status_files(data_dir)
    export_only_output = run_dbt(data_dir, database, *SELECTED)
    export_only = Marts(data_dir / "marts").summary()

    data = StandInData.from_sample(generated)
    served = served_statuses(data)
    with standin_server(data) as api:  # statuses as Panoptes first reports them
        assert ingest_statuses(api, data_dir).landed == len(served)
    built = Reconciled(
        data_dir, database, data, export_only_output, export_only, export_statuses_files
    )
    keys = sorted(served)
    built.missing, built.extra = keys[0], keys[1]
    data.status_overrides[built.missing] = {
        "classifications_count": served[built.missing]["classifications_count"] + 3
    }
    data.status_overrides[built.extra] = {
        "classifications_count": served[built.extra]["classifications_count"] - 2
    }
    # a subject retired in one workflow, and earlier (flagged) in the other
    built.earliest = next(
        (subject, OTHER_WORKFLOW_ID)
        for subject, workflow in keys[2:]
        if workflow == WORKFLOW_ID
        and served[(subject, workflow)]["retired_at"]
        and (subject, OTHER_WORKFLOW_ID) in served
    )
    data.status_overrides[built.earliest] = {
        "retired_at": "2017-06-01T00:00:00Z",
        "retirement_reason": "flagged",
    }
    with standin_server(data) as api:  # then three of them change: new snapshots
        assert ingest_statuses(api, data_dir).landed == 3
    built.output = run_dbt(data_dir, database, *SELECTED)
    return built


@pytest.mark.slow  # a series of builds (module fixture `reconciled`): `make test-slow`
def test_an_export_only_landing_builds_with_no_statuses_and_no_retirement(reconciled):
    assert [p.parent.name for p in reconciled.export_statuses_files] == ["workflow_id=0"]
    summary = reconciled.export_only
    assert summary["subjects"] == 40 and summary["classifications"] == 1_600
    # no statuses: retirement by each workflow's own rule, from the workflows export
    assert {w["workflow_id"] for w in summary["workflows"]} == {WORKFLOW_ID, OTHER_WORKFLOW_ID}
    for workflow in summary["workflows"]:
        assert workflow["retirement_source"] == "rule"
        assert workflow["retirement_count"] == sample.RETIREMENT_COUNT
    assert "subjects_missing_classifications" in reconciled.export_only_output


@pytest.mark.slow  # a series of builds (module fixture `reconciled`): `make test-slow`
def test_the_staging_view_holds_the_latest_snapshot_of_each_status(reconciled):
    served = served_statuses(reconciled.data)
    rows = reconciled.query(
        "select subject_id, workflow_id, classifications_count, retired_at, retirement_reason "
        "from staging.stg_panoptes__subject_workflow_statuses"
    )
    assert {(r[0], r[1]): r[2] for r in rows} == {
        key: status["classifications_count"] for key, status in served.items()
    }


@pytest.mark.slow  # a series of builds (module fixture `reconciled`): `make test-slow`
def test_subjects_take_their_earliest_retirement_recomputed_without_new_classifications(
    reconciled,
):
    served = served_statuses(reconciled.data)
    expected: dict[int, tuple[datetime, str]] = {}
    for (subject, _), status in sorted(served.items()):
        if status["retired_at"]:
            at = records.parse_timestamp(status["retired_at"], "retired_at")
            if subject not in expected or at < expected[subject][0]:
                expected[subject] = (at, status["retirement_reason"])

    rows = reconciled.query(
        "select subject_id, retired_at, retirement_reason, status_ingested_at, status_snapshots "
        "from subjects"
    )

    assert len(rows) == 40 and all(r[3] is not None for r in rows)  # every subject recomputed
    changed = (reconciled.missing, reconciled.extra, reconciled.earliest)
    for subject, snapshots in ((r[0], r[4]) for r in rows):  # one each, one more per change
        statuses = sum(1 for s, _ in served if s == subject)
        assert snapshots == statuses + sum(1 for s, _ in changed if s == subject), subject
    assert {r[0]: (r[1], r[2]) for r in rows if r[1] is not None} == expected
    subject = reconciled.earliest[0]
    assert expected[subject] == (datetime(2017, 6, 1), "flagged")


@pytest.mark.slow  # a series of builds (module fixture `reconciled`): `make test-slow`
def test_subjects_whose_landed_count_differs_from_panoptes_are_listed(reconciled):
    rows = reconciled.query(
        "select subject_id, workflow_id, landed_classifications, panoptes_classifications, "
        "difference, direction, reason from classification_count_mismatches"
    )
    mismatches = {(r[0], r[1]): r[2:] for r in rows}
    served = served_statuses(reconciled.data)

    assert set(mismatches) == {reconciled.missing, reconciled.extra}
    landed_missing, panoptes_missing, *rest = mismatches[reconciled.missing]
    assert panoptes_missing == served[reconciled.missing]["classifications_count"]
    assert (panoptes_missing - landed_missing, *rest) == (3, -3, "landed fewer", "missing")
    assert mismatches[reconciled.extra][2:] == (2, "landed more", "not counted by Panoptes")


@pytest.mark.slow  # a series of builds (module fixture `reconciled`): `make test-slow`
def test_the_build_warns_with_the_number_of_subjects_missing_classifications(reconciled):
    lines = [
        line
        for line in reconciled.output.splitlines()
        if "subjects_missing_classifications" in line
    ]
    assert any("WARN 1 " in line for line in lines), lines
    assert f"subjects missing classifications: 1 in workflow {reconciled.missing[1]}" in (
        reconciled.output
    )
    export_only = [
        line
        for line in reconciled.export_only_output.splitlines()
        if "subjects_missing_classifications" in line
    ]
    assert any(" PASS " in line for line in export_only), export_only


@pytest.mark.slow  # a series of builds (module fixture `reconciled`): `make test-slow`
def test_the_dashboard_counts_retirement_from_panoptes_else_by_the_workflows_rule(reconciled):
    retired_by_panoptes = dict(
        reconciled.query(
            "select workflow_id, count(retired_at) "
            "from staging.stg_panoptes__subject_workflow_statuses group by all"
        )
    )
    reaching_the_rule = dict(
        reconciled.query(
            "select workflow_id, count(*) filter (where classifications >= "
            f"{sample.RETIREMENT_COUNT}) from (select workflow_id, subject_id, "
            "sum(classifications) as classifications from subject_activity group by all) "
            "group by all"
        )
    )
    marts = Marts(reconciled.data_dir / "marts")
    summary = marts.summary()
    for workflow in summary["workflows"]:
        assert workflow["retirement_source"] == "panoptes"
        assert workflow["retired_subjects"] == retired_by_panoptes[workflow["workflow_id"]]
    histogram = marts.retirement()
    assert sum(r["subjects"] for r in histogram if r["workflow_id"] == WORKFLOW_ID) == 40
    # before the statuses landed: the workflows' own rule, applied to the landed classifications
    for workflow in reconciled.export_only["workflows"]:
        assert workflow["retired_subjects"] == reaching_the_rule[workflow["workflow_id"]]
