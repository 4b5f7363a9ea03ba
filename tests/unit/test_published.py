"""warehouse/published.py: the layout of the published marts, and the moves that put a mart's
rewritten subject buckets in place."""

from __future__ import annotations

import json
from pathlib import Path

from warehouse.published import MANIFEST, make_directory, mart_files, mart_path, place_buckets


def write(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_mart_is_one_file_or_the_parts_of_its_directory(tmp_path):
    marts = tmp_path / "marts"
    single = write(marts / "workflows.parquet")
    parts = [write(marts / "vote_counts" / f"part-000000000{n}.parquet") for n in (2, 1)]
    write(marts / "vote_counts" / MANIFEST)
    write(marts / "vote_counts" / ".part-0000000003.parquet.run")  # being written
    write(marts / "empty_dir" / MANIFEST)  # no part: not published
    assert mart_files(marts) == {"vote_counts": sorted(parts), "workflows": [single]}
    assert mart_path(marts, "workflows") == single
    assert mart_path(marts, "vote_counts") == marts / "vote_counts"
    assert mart_path(marts, "subjects") is None
    assert mart_files(tmp_path / "missing") == {}


def test_placing_buckets_renames_the_written_removes_the_gone_and_writes_the_manifest(tmp_path):
    marts = tmp_path / "marts"
    target = marts / "vote_counts"
    kept = write(target / "part-0000000001.parquet", "kept")
    write(target / "part-0000000002.parquet", "old two")
    write(target / "part-0000000003.parquet", "old three")
    write(marts / "vote_counts.parquet", "before buckets")
    write(target / ".part-0000000002.parquet.run", "new two")
    write(target / ".part-0000000004.parquet.run", "new four")
    leftover = write(target / ".part-0000000009.parquet.killed")
    manifest = '{"bucket": "0000000001"}\n{"bucket": "0000000002"}\n{"bucket": "0000000004"}'

    said = place_buckets(
        str(target), "run", json.dumps(["0000000002", "0000000004"]),
        json.dumps(["0000000003"]), manifest,
    )  # fmt: skip

    assert said.startswith("vote_counts: 2 bucket(s) written, 1 removed")
    assert sorted(p.name for p in target.iterdir()) == [
        MANIFEST,
        "part-0000000001.parquet",
        "part-0000000002.parquet",
        "part-0000000004.parquet",
    ]
    assert kept.read_text() == "kept"
    assert (target / "part-0000000002.parquet").read_text() == "new two"
    assert (target / MANIFEST).read_text() == manifest
    assert not leftover.exists()
    assert not (marts / "vote_counts.parquet").exists()


def test_buckets_of_a_partitioned_copy_are_moved_from_its_staging_directory(tmp_path):
    target = tmp_path / "marts" / "subjects"
    write(target / "part-0000000007.parquet", "old seven")
    staging = target / ".staging-run"
    write(staging / "_bucket=0000000007" / "data_0.parquet", "new seven")
    write(staging / "_bucket=null" / "data_0.parquet", "no subject")
    write(target / ".staging-killed" / "_bucket=1" / "data_0.parquet")
    place_buckets(str(target), "run", json.dumps(["0000000007", "null"]), "[]", "")
    assert sorted(p.name for p in target.iterdir()) == [
        MANIFEST,
        "part-0000000007.parquet",
        "part-null.parquet",
    ]
    assert (target / "part-0000000007.parquet").read_text() == "new seven"


def test_make_directory_makes_the_parents_too(tmp_path):
    path = tmp_path / "a" / "b"
    assert make_directory(str(path)) == str(path)
    assert path.is_dir()
