"""Bad API input all the way to the marts: the build succeeds, nothing is guessed, the unmapped
votes are counted in the warning, and the good votes count exactly as an independent recount."""

from __future__ import annotations

import copy

import duckdb
import pytest
from conftest import WORKFLOW_ID, landed, run_dbt, run_ingest, standin_server, vote_counts_in
from recount import recount

from standin import sample
from standin.server import StandInData

# several dbt builds in a row: `make test-slow` (run by .ci/run after the default tests)
pytestmark = [pytest.mark.dbt, pytest.mark.slow]


def test_bad_rows_never_reach_the_marts_and_unmapped_votes_are_warned_about(tmp_path):
    generated = sample.generate(n_classifications=800, n_subjects=60, seed=71)
    good = generated.classifications
    last = int(good[-1]["id"])

    def variant(offset: int) -> dict:
        row = copy.deepcopy(good[offset])
        row["id"] = str(last + offset + 1)
        return row

    out_of_range = variant(1)
    out_of_range["annotations"][0]["value"] = 7  # T0 has three answers
    unknown_version = variant(2)
    unknown_version["metadata"]["workflow_version"] = "99.1"
    broken = variant(3)
    broken["annotations"] = "T0=smooth"
    no_subject = variant(4)
    no_subject["links"]["subjects"] = []
    bad_id = variant(5)
    bad_id["id"] = "x" + bad_id["id"]
    served = [*good, bad_id, out_of_range, unknown_version, broken, no_subject]

    data = StandInData(served, generated.subjects, generated.workflows, generated.workflow_versions)
    with standin_server(data) as api:
        assert run_ingest(api, tmp_path / "data", "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    database = tmp_path / "warehouse.duckdb"
    output = run_dbt(tmp_path / "data", database)

    assert len(landed(tmp_path / "data", "rejected")) == 3
    with duckdb.connect(str(database), read_only=True) as con:
        reasons = dict(
            con.execute(
                "select unmapped_reason, count(*) from intermediate.flat "
                "where classification_id in "
                f"({out_of_range['id']}, {unknown_version['id']}) group by 1"
            ).fetchall()
        )
        (unmapped,) = con.execute(
            "select count(*) from intermediate.flat "
            "where schema_name is not null and question is null"
        ).fetchall()[0]
    assert reasons["answer index not in workflow version"] == 1
    assert reasons["unknown workflow version"] == len(unknown_version["annotations"]) + sum(
        len(a["value"]) - 1 for a in unknown_version["annotations"] if isinstance(a["value"], list)
    )
    assert f"WARN {unmapped} unmapped_votes" in " ".join(output.split())
    kept = [*good, out_of_range, unknown_version]
    assert vote_counts_in(database) == recount(kept, generated.workflow_versions, "first")
