"""Var `volunteer_weight_tolerance`: a volunteer's weighted votes are summed with the weight
applied before while their weight stays within the tolerance of it, and a build that lowers
the tolerance applies every weight that is further.

One landing (generated_sample: a contrarian volunteer in 25 weighs under 1) is built on its
first batch, then on all of it with a tolerance of 0.5, which every weight that moved stays
within: the weights themselves must be the exact ones (tests/science_recount.py), the applied
weights those of the first batch, and the weighted votes the recount's sums of the applied
weights. A build with the tolerance back at 0 must then equal the exact recount.

Four builds in a row: marked slow, run by `make test-slow`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import science_recount as science
from built_warehouse import FIRST_BATCH, TOLERANCE, generated_sample
from conftest import WORKFLOW_ID, run_dbt, run_ingest, standin_server
from recount import counted_classifications

from standin.server import StandInData

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

WIDE = "{volunteer_weight_tolerance: 0.5}"
EXACT = "{volunteer_weight_tolerance: 0}"


def weights_in(database: Path) -> dict[int, tuple[float, float]]:
    """{user: (weight, applied_weight)} of volunteer_weights."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("select user_id, weight, applied_weight from volunteer_weights")
        return {user: (weight, applied) for user, weight, applied in rows.fetchall()}


def weighted_in(database: Path) -> dict[tuple, tuple[float, float]]:
    """{(schema, subject, question, answer): (weighted_votes, weighted_total_votes)}."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select schema_name, subject_id, question, answer, weighted_votes, "
            "weighted_total_votes from vote_counts"
        ).fetchall()
    return {row[:4]: row[4:] for row in rows}


def recounted(classifications: list, versions: list, weights: dict[int, float] | None = None):
    """The exact weights of these classifications, and the weighted votes summed with
    ``weights`` (the exact ones when not given)."""
    subjects = counted_classifications(classifications, versions, "first")
    exact = science.volunteer_weights(subjects)
    applied = {
        user: science.Weight(w.consistency, (weights or {}).get(user, w.weight), w.annotations)
        for user, w in exact.items()
    }
    return exact, science.weighted_votes(subjects, applied)


def assert_weighted(database: Path, expected: dict) -> None:
    built = weighted_in(database)
    assert built.keys() == expected.keys()
    wrong = [
        (key, built[key], (row.weighted_votes, row.weighted_total_votes))
        for key, row in expected.items()
        if abs(built[key][0] - row.weighted_votes) > TOLERANCE
        or abs(built[key][1] - row.weighted_total_votes) > TOLERANCE
    ]
    assert not wrong, wrong[:5]


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("tolerance")
    generated = generated_sample()
    data_dir, database = root / "data", root / "warehouse.duckdb"
    data = StandInData.from_sample(generated)
    with standin_server(data) as api:
        data.publish(FIRST_BATCH)
        assert run_ingest(api, data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        run_dbt(data_dir, database, "--vars", WIDE)
        first = weights_in(database)
        data.publish_all()
        assert run_ingest(api, data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    return generated, data_dir, database, first


def test_weights_within_the_tolerance_stay_applied_and_lowering_it_applies_them(landing):
    generated, data_dir, database, first = landing
    versions = generated.workflow_versions
    exact_first, _ = recounted(generated.classifications[:FIRST_BATCH], versions)
    assert {user: weight for user, (weight, _) in first.items()} == pytest.approx(
        {user: w.weight for user, w in exact_first.items()}, abs=TOLERANCE
    )

    run_dbt(data_dir, database, "--vars", WIDE)
    tolerant = weights_in(database)
    exact, _ = recounted(generated.classifications, versions)
    assert {user: weight for user, (weight, _) in tolerant.items()} == pytest.approx(
        {user: w.weight for user, w in exact.items()}, abs=TOLERANCE
    )
    # the new votes moved weights: those within 0.5 of the weight applied stay as applied
    kept = {
        user for user, w in exact.items()
        if user in first and TOLERANCE < abs(w.weight - first[user][1]) <= 0.5
    }  # fmt: skip
    assert kept, "no weight moved within the tolerance: the landing does not exercise it"
    expected_applied = {
        user: first[user][1] if user in kept else w.weight for user, w in exact.items()
    }
    assert {user: applied for user, (_, applied) in tolerant.items()} == pytest.approx(
        expected_applied, abs=TOLERANCE
    )
    _, expected = recounted(generated.classifications, versions, expected_applied)
    assert_weighted(database, expected)

    run_dbt(data_dir, database, "--vars", EXACT)
    weights = weights_in(database).values()
    assert all(abs(weight - applied) <= TOLERANCE for weight, applied in weights)
    _, expected = recounted(generated.classifications, versions)
    assert_weighted(database, expected)
