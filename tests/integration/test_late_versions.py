"""A classification whose workflow version lands after it is kept, then counted once it lands."""

from __future__ import annotations

import duckdb
import pytest
from conftest import WORKFLOW_ID, run_dbt, run_ingest, standin_server, vote_counts_in
from recount import recount

from standin import sample
from standin.server import StandInData

# several dbt builds in a row: `make test-slow` (run by .ci/run after the default tests)
pytestmark = [pytest.mark.dbt, pytest.mark.slow]


def test_classifications_of_a_version_that_lands_later_are_counted_once_it_does(tmp_path):
    generated = sample.generate(n_classifications=800, n_subjects=60, seed=11)
    latest = generated.workflow_versions[-1]
    data = StandInData.from_sample(generated)
    data.workflow_versions = generated.workflow_versions[:-1]  # 66.425 not served yet
    database = tmp_path / "warehouse.duckdb"
    with standin_server(data) as api:
        assert run_ingest(api, tmp_path / "data", "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        run_dbt(tmp_path / "data", database)
        with duckdb.connect(str(database), read_only=True) as con:
            waiting = con.execute(
                "select count(distinct classification_id) from intermediate.flat "
                "where unmapped_reason = 'unknown workflow version'"
            ).fetchall()[0][0]
        data.workflow_versions = generated.workflow_versions
        assert run_ingest(api, tmp_path / "data", "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    run_dbt(tmp_path / "data", database)

    made_under_latest = [
        c for c in generated.classifications
        if c["metadata"]["workflow_version"]
        == f"{latest['major_number']}.{latest['minor_number']}"
    ]  # fmt: skip
    assert waiting == len(made_under_latest) > 0
    with duckdb.connect(str(database), read_only=True) as con:
        still_waiting = con.execute(
            "select count(*) from intermediate.flat "
            "where unmapped_reason = 'unknown workflow version'"
        ).fetchall()[0][0]
    assert still_waiting == 0
    expected = recount(generated.classifications, generated.workflow_versions, "first")
    assert vote_counts_in(database) == expected
