"""The parquet landing: atomic files, watermarks from the files themselves, partitions."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.landing import CLASSIFICATIONS, REJECTED, SUBJECTS, Landing, RejectionStatus

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


def test_rejected_classifications_count_towards_the_watermark(tmp_path):
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

    assert landing.classification_watermark(5733, 6122) == 45
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
