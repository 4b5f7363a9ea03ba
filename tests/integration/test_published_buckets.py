"""The large marts are published in subject buckets, and a build rewrites only the buckets whose
subjects it changed.

A small landing (30 subjects) is built with one subject per bucket (var
published_subject_bucket_width 1). Its last few classifications, on a few subjects, then land
and are built: the files of the subjects the build wrote rows of (those, and any whose
volunteers' weights moved) are written again and every other file is left as it was (same
inode, same modification time), and what is published still equals the warehouse. A build
with another width rewrites the mart in its new buckets and removes the old ones.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import WORKFLOW_ID, rewritten_subjects, run_dbt, run_ingest, standin_server

from standin import sample
from standin.server import StandInData
from warehouse.published import MANIFEST, mart_files

pytestmark = pytest.mark.dbt

BUCKETED = (
    "vote_counts",
    "subjects",
    "question_predictions",
    "gz_decals_dr5_vote_fractions",
    "gz_decals_dr5_catalogue",
)
LAST = 4  # classifications landed by the second build


def file_states(marts: Path, mart: str) -> dict[str, tuple[int, int]]:
    """{part name: (inode, modification time)} of a bucketed mart's files."""
    return {
        path.name: (path.stat().st_ino, path.stat().st_mtime_ns) for path in mart_files(marts)[mart]
    }


def published_rows(marts: Path, mart: str) -> list[tuple]:
    files = [str(path) for path in mart_files(marts)[mart]]
    with duckdb.connect() as con:
        rows = con.execute("select * from read_parquet($files)", {"files": files}).fetchall()
    return sorted(rows)


def warehouse_rows(database: Path, mart: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return sorted(con.execute(f"select * from {mart}").fetchall())


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("buckets")
    made = sample.generate(n_classifications=600, n_subjects=30, seed=11)
    data_dir, database = root / "data", root / "warehouse.duckdb"
    marts = data_dir / "marts"
    data = StandInData.from_sample(made)
    one_per_bucket = "{published_subject_bucket_width: 1}"
    with standin_server(data) as api:
        data.publish(len(made.classifications) - LAST)
        assert run_ingest(api, data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        run_dbt(data_dir, database, "--vars", one_per_bucket)
        first = {mart: file_states(marts, mart) for mart in BUCKETED}
        data.publish_all()
        assert run_ingest(api, data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        output = run_dbt(data_dir, database, "--vars", one_per_bucket)
    second = {mart: file_states(marts, mart) for mart in BUCKETED}
    touched = {int(c["links"]["subjects"][0]) for c in made.classifications[-LAST:]}
    return made, data_dir, database, first, second, touched, output


def test_a_build_rewrites_the_buckets_of_the_subjects_it_changed_and_no_other(builds):
    _, data_dir, database, first, second, touched, output = builds
    marts = data_dir / "marts"
    for mart in ("vote_counts", "question_predictions", "gz_decals_dr5_vote_fractions"):
        changed = rewritten_subjects(database, mart)
        # the subjects with new votes (and any a moved volunteer weight recounted), not all
        assert touched <= changed and len(changed) < len(first[mart]) / 2, mart
        assert first[mart].keys() == second[mart].keys(), mart
        rewritten = {name for name in second[mart] if second[mart][name] != first[mart][name]}
        assert rewritten == {f"part-{subject:010d}.parquet" for subject in changed}, mart
        assert published_rows(marts, mart) == warehouse_rows(database, mart), mart
    written = len(rewritten_subjects(database, "vote_counts"))
    assert f"vote_counts ({written} of its buckets written, 0 removed)" in output
    manifest = duckdb.sql(
        f"select sum(n_rows) from read_json('{marts / 'vote_counts' / MANIFEST}')"
    ).fetchall()[0][0]
    assert manifest == len(warehouse_rows(database, "vote_counts"))


def test_another_bucket_width_rewrites_the_mart_in_its_new_buckets(builds):
    _, data_dir, database, *_ = builds
    marts = data_dir / "marts"
    run_dbt(data_dir, database, "--vars", "{published_subject_bucket_width: 1000000000}")
    for mart in BUCKETED:
        parts = mart_files(marts)[mart]
        assert [path.name for path in parts] == ["part-0000000000.parquet"], mart
        assert published_rows(marts, mart) == warehouse_rows(database, mart), mart
    assert not [path for path in marts.rglob(".*") if path.is_file()]  # no hidden leftovers
