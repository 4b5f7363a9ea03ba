"""The parquet landing: atomic files, watermarks from the files themselves, partitions."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.landing import (
    CLASSIFICATIONS,
    REJECTED,
    SUBJECTS,
    Landing,
    LandingError,
    RejectionStatus,
)

NOW = datetime(2026, 11, 1)


def classification_rows(ids: list[int], workflow_id: int = 6122, subjects=None) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "classification_id": cid,
                "project_id": 5733,
                "workflow_id": workflow_id,
                "workflow_version": "66.425",
                "user_id": None,
                "subject_ids": [subjects[i] if subjects else 1000 + i],
                "created_at": NOW,
                "annotations": "[]",
                "metadata": "{}",
                "raw": "{}",
                "source": "api",
                "ingested_at": NOW,
            }
            for i, cid in enumerate(ids)
        ],
        schema=CLASSIFICATIONS.schema,
    )


def test_rows_land_in_hive_partitions_with_partition_columns_kept_in_the_file(tmp_path):
    landing = Landing(tmp_path)
    with landing.writer(CLASSIFICATIONS) as writer:
        writer.write(classification_rows([5, 7], workflow_id=6122))
        writer.write(classification_rows([6], workflow_id=10581))

    files = sorted(
        p.relative_to(tmp_path).parent.as_posix() for p in landing.files(CLASSIFICATIONS)
    )
    assert files == [
        "raw/classifications/project_id=5733/workflow_id=10581",
        "raw/classifications/project_id=5733/workflow_id=6122",
    ]
    [one] = landing.files(CLASSIFICATIONS, project_id=5733, workflow_id=6122)
    assert pq.read_table(one)["workflow_id"].to_pylist() == [6122, 6122]
    assert writer.rows_written == 3


def test_watermark_is_the_largest_landed_id_per_workflow_from_footer_statistics(tmp_path):
    landing = Landing(tmp_path)
    assert landing.classification_watermark(5733, 6122) == 0
    with landing.writer(CLASSIFICATIONS) as writer:
        writer.write(classification_rows([10, 30, 20]))
        writer.write(classification_rows([99], workflow_id=10581))

    assert landing.classification_watermark(5733, 6122) == 30
    assert landing.classification_watermark(5733, 10581) == 99
    assert landing.classification_watermark(5733, 1) == 0
    [path] = landing.files(CLASSIFICATIONS, project_id=5733, workflow_id=6122)
    stats = pq.read_metadata(path).row_group(0).column(0).statistics
    assert stats.has_min_max and stats.max == 30


def test_rejected_classifications_do_not_move_the_watermark(tmp_path):
    """A row set aside may lie above good rows not landed yet: the next run must ask for those."""
    landing = Landing(tmp_path)
    rejected = {
        "entity": "classification", "entity_id": 45, "project_id": 5733, "workflow_id": 6122,
        "reason": "classification has no subject", "raw": "{}", "source": "api",
        "ingested_at": NOW,
    }  # fmt: skip
    with landing.writer(REJECTED) as writer:
        writer.extend([rejected, {**rejected, "entity_id": None}])
    with landing.writer(CLASSIFICATIONS) as writer:
        writer.write(classification_rows([40]))

    assert landing.classification_watermark(5733, 6122) == 40
    assert landing.classification_watermark(5733, 10581) == 0


def test_a_rejection_is_outstanding_until_its_id_lands_and_rows_without_an_id_stay(tmp_path):
    landing = Landing(tmp_path)
    assert landing.rejection_status() == RejectionStatus(0, 0)
    rejected = {
        "entity": "classification", "entity_id": 45, "project_id": 5733, "workflow_id": 6122,
        "reason": "classification has no subject", "raw": "{}", "source": "export",
        "ingested_at": NOW,
    }  # fmt: skip
    unreadable = {**rejected, "entity": "csv_line", "entity_id": None, "reason": "line 9: ..."}
    with landing.writer(REJECTED) as writer:
        writer.extend([rejected, {**rejected, "entity_id": 46}, unreadable])
    with landing.writer(REJECTED) as writer:  # the same export loaded again
        writer.extend([rejected, unreadable])
    assert landing.rejection_status() == RejectionStatus(outstanding=3, resolved=0)

    with landing.writer(CLASSIFICATIONS) as writer:
        writer.write(classification_rows([45]))

    assert landing.rejection_status() == RejectionStatus(outstanding=2, resolved=1)


def test_rejected_gets_one_empty_file_only_while_it_has_none(tmp_path):
    landing = Landing(tmp_path)
    landing.ensure_rejected_readable()
    landing.ensure_rejected_readable()

    [empty] = landing.files(REJECTED)
    assert pq.read_table(empty).schema == REJECTED.schema
    assert pq.read_metadata(empty).num_rows == 0
    assert landing.rejection_status() == RejectionStatus(0, 0)


def test_files_roll_at_the_size_limit_and_each_is_whole(tmp_path):
    landing = Landing(tmp_path)
    with landing.writer(CLASSIFICATIONS, rows_per_file=4) as writer:
        for start in range(0, 10, 3):
            writer.write(classification_rows(list(range(start, min(start + 3, 10)))))

    files = landing.files(CLASSIFICATIONS)
    assert [pq.read_metadata(p).num_rows for p in files] == [6, 4]
    assert sum(pq.read_table(p).num_rows for p in files) == 10


def test_a_writer_that_fails_leaves_no_file_and_no_temporary(tmp_path):
    landing = Landing(tmp_path)
    with pytest.raises(RuntimeError), landing.writer(CLASSIFICATIONS) as writer:
        writer.write(classification_rows(list(range(20_000))))  # a row group is on disk
        assert list(tmp_path.rglob(".*.tmp"))
        raise RuntimeError("network gone")

    assert not list(tmp_path.rglob("*.parquet"))
    assert not list(tmp_path.rglob("*.tmp"))


def test_temporary_files_are_outside_the_parquet_glob_and_stale_ones_are_removed(tmp_path):
    landing = Landing(tmp_path)
    directory = tmp_path / "raw" / "classifications" / "project_id=5733" / "workflow_id=6122"
    directory.mkdir(parents=True)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(finished.stdout)
    stale = directory / f".part-x.parquet.{dead_pid}.tmp"
    live = directory / f".part-y.parquet.{os.getpid()}.tmp"
    stale.write_bytes(b"half a file")
    live.write_bytes(b"being written")

    assert landing.files(CLASSIFICATIONS) == []
    assert landing.remove_stale_temp_files() == 1
    assert not stale.exists() and live.exists()


def test_missing_subjects_are_those_named_but_not_landed(tmp_path):
    landing = Landing(tmp_path)
    with landing.writer(CLASSIFICATIONS) as writer:
        writer.write(classification_rows([1, 2, 3], subjects=[501, 502, 501]))
    assert landing.missing_subject_ids(5733) == [501, 502]

    subject = {
        "subject_id": 501, "project_id": 5733, "metadata": "{}", "locations": "[]",
        "created_at": None, "updated_at": None, "raw": "{}", "source": "api", "ingested_at": NOW,
    }  # fmt: skip
    with landing.writer(SUBJECTS) as writer:
        writer.extend([subject])
    assert landing.missing_subject_ids(5733) == [502]
    assert landing.missing_subject_ids(1) == []


@pytest.mark.parametrize("bad", [-1, "6122/../x", True, 1.5])
def test_partition_values_are_checked_before_they_become_paths(tmp_path, bad):
    with pytest.raises(ValueError):
        Landing(tmp_path).partition_dir(CLASSIFICATIONS, {"project_id": 5733, "workflow_id": bad})


def test_a_writer_can_land_another_writers_rows_before_each_of_its_files(tmp_path):
    landing = Landing(tmp_path)
    rejected_row = {
        "entity": "classification", "entity_id": 3, "project_id": 5733, "workflow_id": 6122,
        "reason": "classification has no subject", "raw": "{}", "source": "api",
        "ingested_at": NOW,
    }  # fmt: skip
    with (
        landing.writer(REJECTED) as rejected,
        landing.writer(CLASSIFICATIONS, 2, before_landing=rejected.close) as landed,
    ):
        rejected.extend([rejected_row])
        landed.write(classification_rows([1, 2]))  # a file rolls: the row set aside lands too
        assert len(landing.files(REJECTED)) == len(landing.files(CLASSIFICATIONS)) == 1

    assert landing.classification_watermark(5733, 6122) == 2


def test_a_landed_file_cut_short_is_named_with_what_to_do(tmp_path):
    landing = Landing(tmp_path)
    with landing.writer(CLASSIFICATIONS) as writer:
        writer.write(classification_rows([1, 2, 3]))
    [path] = landing.files(CLASSIFICATIONS)
    path.write_bytes(path.read_bytes()[:100])

    with pytest.raises(LandingError) as error:
        Landing(tmp_path).classification_watermark(5733, 6122)

    message = str(error.value)
    assert str(path) in message and "move it out of" in message
    assert "\n" not in message


def test_the_lookback_starts_at_the_first_id_created_within_it(tmp_path):
    landing = Landing(tmp_path)
    rows = classification_rows([10, 20, 30, 40]).to_pylist()
    for row, minutes in zip(rows, [0, 50, 100, 130], strict=True):
        row["created_at"] = datetime(2026, 11, 1, 10, 0) + timedelta(minutes=minutes)
    with landing.writer(CLASSIFICATIONS) as writer:
        writer.write(pa.Table.from_pylist(rows, schema=CLASSIFICATIONS.schema))

    assert landing.lookback_start(5733, 6122, minutes=60) == 29  # created 100 and 130
    assert landing.lookback_start(5733, 6122, minutes=120) == 19
    assert landing.lookback_start(5733, 1, minutes=60) == 0
