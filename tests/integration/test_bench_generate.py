"""The benchmark's data generator: deterministic, the size asked for, and loadable as it is."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, run_export

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import generate


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow  # writes and loads exports twice: `make test-slow`
def test_generated_exports_are_deterministic_and_land_without_a_reject(tmp_path):
    first = generate.write_export(3_000, tmp_path / "one")
    again = generate.write_export(3_000, tmp_path / "two")
    for name in ("classifications", "workflows", "subjects"):
        assert _digest(getattr(first, name)) == _digest(getattr(again, name)), name
    assert generate.existing_export(3_000, tmp_path / "one") == first
    assert generate.existing_export(4_000, tmp_path / "one") is None

    with duckdb.connect() as con:
        rows, subjects, ids, per_subject, size = con.execute(
            "select count(*), count(distinct subject_ids), count(distinct classification_id), "
            "count(*) / count(distinct subject_ids), avg(length(annotations) + length(metadata)) "
            "from read_csv($path, all_varchar = true)",
            {"path": str(first.classifications)},
        ).fetchall()[0]
        subject_rows = con.execute(
            "select count(*) from read_csv($path)", {"path": str(first.subjects)}
        ).fetchall()[0][0]
    assert rows == ids == 3_000
    assert subjects == subject_rows == first.subjects_count == 120
    assert 20 <= per_subject <= 30
    assert size > 1_000  # rows as heavy as real ones: labels, metadata and all

    done = run_export(
        tmp_path / "data",
        "--classifications", str(first.classifications),
        "--workflows", str(first.workflows),
        "--subjects", str(first.subjects),
        "--project-id", "5733",
    )  # fmt: skip
    assert done.returncode == 0, done.output
    assert "new classifications        3,000" in done.stdout
    assert "rejected rows                  0" in done.stdout

    made = generate.new_classifications(first, 50)
    new_ids = sorted(int(c["id"]) for c in made.classifications)
    assert new_ids[0] == generate.sample.FIRST_CLASSIFICATION_ID + 3_000 and len(new_ids) == 50
    with duckdb.connect() as con:
        known = {
            row[0]
            for row in con.execute(
                "select subject_id::varchar from read_csv($path, all_varchar = true)",
                {"path": str(first.subjects)},
            ).fetchall()
        }
    assert {str(s) for c in made.classifications for s in c["links"]["subjects"]} <= known
    spread = {s for c in made.classifications for s in c["links"]["subjects"]}
    assert len(spread) == 50  # by default each new classification on a subject of its own

    later = generate.new_classifications(
        first, 50, seed=8, active_subjects=5, earlier_new=len(made.classifications)
    )
    later_ids = sorted(int(c["id"]) for c in later.classifications)
    assert later_ids[0] == new_ids[-1] + 1
    newest = sorted(known, key=int)[-5:]
    assert {s for c in later.classifications for s in c["links"]["subjects"]} == set(newest)
