"""``python -m ingest api`` end to end: a real process, real HTTP, real parquet."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest
from conftest import (
    OTHER_WORKFLOW_ID,
    WORKFLOW_ID,
    landed,
    run_ingest,
    served_ids,
    standin_server,
)

from standin.server import PanoptesStandIn, StandInData


def parquet_files(data_dir: Path) -> set[Path]:
    return set((data_dir / "raw").rglob("*.parquet"))


def classification_requests(api: PanoptesStandIn) -> list[dict[str, str]]:
    return [r.params for r in api.requests_to("/api/classifications/project") if r.status == 200]


def test_first_run_lands_every_served_classification_exactly_once(api, small_sample, tmp_path):
    run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    assert run.returncode == 0, run.output
    rows = landed(tmp_path)
    ids = [row["classification_id"] for row in rows]
    assert sorted(ids) == served_ids(small_sample.classifications)
    assert len(ids) == len(set(ids))
    subjects = {row["subject_id"] for row in landed(tmp_path, "subjects")}
    assert subjects == {sid for row in rows for sid in row["subject_ids"]}
    versions = landed(tmp_path, "workflow_versions")
    assert len(versions) == 24
    assert "new classifications        1,500" in run.stdout


def test_landing_columns_have_the_documented_types(api, tmp_path):
    assert run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    pattern = f"{tmp_path}/raw/classifications/**/*.parquet"
    with duckdb.connect() as con:
        types = dict(
            con.execute(
                f"select column_name, column_type from (describe select * from "
                f"read_parquet('{pattern}', hive_partitioning = true))"
            ).fetchall()
        )
        anonymous, version, source = con.execute(
            f"select count(*) filter (where user_id is null), min(workflow_version), "
            f"any_value(source) from read_parquet('{pattern}', hive_partitioning = true)"
        ).fetchone()
    assert types == {
        "classification_id": "BIGINT",
        "project_id": "BIGINT",
        "workflow_id": "BIGINT",
        "workflow_version": "VARCHAR",
        "user_id": "BIGINT",
        "subject_ids": "BIGINT[]",
        "created_at": "TIMESTAMP",
        "annotations": "VARCHAR",
        "metadata": "VARCHAR",
        "raw": "VARCHAR",
        "source": "VARCHAR",
        "ingested_at": "TIMESTAMP",
    }
    assert anonymous > 0
    assert version == "28.30"
    assert source == "api"


def test_second_run_asks_after_the_landed_watermark_and_lands_only_new_rows(small_sample, tmp_path):
    data = StandInData.from_sample(small_sample)
    first_batch = data.publish(900)
    with standin_server(data) as api:
        assert run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        files_after_first = parquet_files(tmp_path)
        data.publish_all()
        api.requests.clear()

        second = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    assert second.returncode == 0, second.output
    first_request = classification_requests(api)[0]
    assert int(first_request["last_id"]) == max(first_batch) > 0
    ids = [row["classification_id"] for row in landed(tmp_path)]
    assert sorted(ids) == served_ids(small_sample.classifications)
    assert len(ids) == len(set(ids))
    assert files_after_first < parquet_files(tmp_path)  # earlier files untouched, new ones added
    assert "new classifications          600" in second.stdout


def test_a_run_with_nothing_new_writes_nothing(api, tmp_path):
    assert run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    before = {path: path.stat().st_mtime_ns for path in parquet_files(tmp_path)}

    again = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))

    assert again.returncode == 0, again.output
    assert {path: path.stat().st_mtime_ns for path in parquet_files(tmp_path)} == before
    assert "new classifications            0" in again.stdout
    assert not list((tmp_path / "raw").rglob("*.tmp"))


def test_workflow_filter_and_a_workflow_added_later_starts_from_the_beginning(
    two_workflow_sample, tmp_path
):
    data = StandInData.from_sample(two_workflow_sample)
    with standin_server(data) as api:
        only_one = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID))
        assert only_one.returncode == 0, only_one.output
        assert {r["workflow_id"] for r in classification_requests(api)} == {str(WORKFLOW_ID)}
        assert {row["workflow_id"] for row in landed(tmp_path)} == {WORKFLOW_ID}
        api.requests.clear()

        both = run_ingest(
            api,
            tmp_path,
            "--workflow-id",
            str(WORKFLOW_ID),
            "--workflow-id",
            str(OTHER_WORKFLOW_ID),
        )

    assert both.returncode == 0, both.output
    first_asks = {}
    for params in classification_requests(api):
        first_asks.setdefault(int(params["workflow_id"]), int(params["last_id"]))
    assert first_asks[OTHER_WORKFLOW_ID] == 0
    assert first_asks[WORKFLOW_ID] == max(
        served_ids(two_workflow_sample.classifications, WORKFLOW_ID)
    )
    rows = landed(tmp_path)
    assert sorted(r["classification_id"] for r in rows) == served_ids(
        two_workflow_sample.classifications
    )
    assert Counter(r["workflow_id"] for r in rows) == Counter(
        int(c["links"]["workflow"]) for c in two_workflow_sample.classifications
    )


def test_without_a_workflow_every_workflow_of_the_project_is_fetched(two_workflow_sample, tmp_path):
    data = StandInData.from_sample(two_workflow_sample)
    with standin_server(data) as api:
        run = run_ingest(api, tmp_path)

    assert run.returncode == 0, run.output
    assert {r["workflow_id"] for r in landed(tmp_path)} == {WORKFLOW_ID, OTHER_WORKFLOW_ID}
    assert {r["workflow_id"] for r in landed(tmp_path, "workflow_versions")} == {
        WORKFLOW_ID,
        OTHER_WORKFLOW_ID,
    }


def test_page_size_is_sent_and_capped(api, tmp_path):
    run = run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID), "--page-size", "40")
    assert run.returncode == 0, run.output
    assert {r["page_size"] for r in classification_requests(api)} == {"40"}
    assert len(landed(tmp_path)) == 1_500

    too_big = run_ingest(api, tmp_path, "--page-size", "500")
    assert too_big.returncode == 2
    assert "100" in too_big.stderr


def test_subjects_are_fetched_a_hundred_at_a_time_and_only_once(api, tmp_path):
    assert run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    subject_requests = api.requests_to("/api/subjects")
    asked = [len(r.params["id"].split(",")) for r in subject_requests]
    assert max(asked) <= 100
    assert sum(asked) == 120
    api.requests.clear()

    assert run_ingest(api, tmp_path, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    assert api.requests_to("/api/subjects") == []
    assert len(landed(tmp_path, "subjects")) == 120


@pytest.mark.parametrize("workflow_id", ["abc", "0", "-3"])
def test_ids_on_the_command_line_must_be_positive_integers(api, tmp_path, workflow_id):
    run = run_ingest(api, tmp_path, "--workflow-id", workflow_id)
    assert run.returncode == 2
    assert "positive integer" in run.stderr
