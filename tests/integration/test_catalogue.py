"""Predictions, Wilson intervals, path-aware fractions and the external catalogue join, end to
end on the sample: checked against independent computations in Python."""

from __future__ import annotations

import csv
import json
import math
import subprocess
from collections import defaultdict
from pathlib import Path
from statistics import NormalDist

import duckdb
import pytest
from conftest import (
    GZ_WAREHOUSE,
    PROJECT_ROOT,
    WORKFLOW_ID,
    clean_environment,
    run_dbt,
    run_ingest,
    standin_server,
    write_catalogue,
)

from standin import sample
from standin.server import StandInData

pytestmark = pytest.mark.dbt

SEEDS = PROJECT_ROOT / "seeds"
MIN_TOTAL = 12
LEVEL = 0.9


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("catalogue")
    generated = sample.generate(n_classifications=1_500, n_subjects=90, seed=41)
    with standin_server(StandInData.from_sample(generated)) as api:
        assert run_ingest(api, root / "data", "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    fits = root / "nsa.fits"
    truth = write_catalogue(generated, fits)
    converted = subprocess.run(
        [GZ_WAREHOUSE, "catalogue", "import", str(fits)],
        env=clean_environment(root / "data"), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert converted.returncode == 0, converted.stderr
    parquet = root / "data" / "catalogues" / "nsa.parquet"
    variables = {
        "external_catalogue": str(parquet),
        "catalogue_min_total_votes": MIN_TOTAL,
        "fraction_interval_level": LEVEL,
    }
    database = root / "warehouse.duckdb"
    run_dbt(root / "data", database, "--vars", json.dumps(variables))
    return {"database": database, "truth": truth}


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_galaxy_finds_its_counterpart_by_name_or_position(built):
    rows = query(
        built["database"],
        "select subject_id, catalogue_nsaid, match_method, match_separation_arcsec "
        "from gz_decals_dr5_catalogue",
    )
    found = {sid: (nsaid, method) for sid, nsaid, method, _ in rows if method is not None}
    expected = {sid: match for sid, match in built["truth"].items() if sid in {r[0] for r in rows}}
    assert found == expected
    assert all(sep < 0.81 for _, _, method, sep in rows if method == "position")


def test_only_galaxies_with_enough_votes_enter_the_catalogue(built):
    (catalogued,) = query(built["database"], "select count(*) from gz_decals_dr5_vote_fractions")[0]
    (eligible,) = query(
        built["database"],
        "select count(*) from (select subject_id from vote_counts "
        "where schema_name = 'gz_decals_dr5' group by 1 "
        f"having max(total_votes) >= {MIN_TOTAL})",
    )[0]
    (everyone,) = query(built["database"], "select count(distinct subject_id) from vote_counts")[0]
    assert 0 < catalogued == eligible < everyone


def test_intervals_predictions_and_cumulative_fractions_agree_with_python(built):
    z = NormalDist().inv_cdf(1 - (1 - LEVEL) / 2)
    rows = query(
        built["database"],
        "select subject_id, question, answer, votes, total_votes, vote_fraction_lower, "
        "vote_fraction_upper, cumulative_fraction from vote_counts "
        "where schema_name = 'gz_decals_dr5'",
    )
    fraction = {}
    for sid, question, answer, votes, total, lower, upper, _ in rows:
        fraction[(sid, question, answer)] = votes / total if total else None
        if total == 0:
            assert lower is None and upper is None
            continue
        p = votes / total
        centre = (p + z * z / (2 * total)) / (1 + z * z / total)
        half = (
            z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
        )
        assert lower == pytest.approx(max(0.0, centre - half), abs=1e-9)
        assert upper == pytest.approx(min(1.0, centre + half), abs=1e-9)

    parents, order = _seed_tree()
    for sid, question, answer, _, _, _, _, cumulative in rows:
        expected = _path_fraction(fraction, parents, sid, question, answer)
        assert cumulative == pytest.approx(expected, abs=1e-12) if expected is not None \
            else cumulative is None  # fmt: skip

    by_question = defaultdict(list)
    for sid, question, answer, votes, total, *_ in rows:
        by_question[(sid, question)].append((votes, -order[(question, answer)], answer, total))
    predictions = query(
        built["database"],
        "select subject_id, question, prediction, prediction_conf from question_predictions "
        "where schema_name = 'gz_decals_dr5'",
    )
    for sid, question, prediction, conf in predictions:
        votes, _, answer, total = max(by_question[(sid, question)])
        assert prediction == (answer if total else None)
        assert conf == (pytest.approx(votes / total) if total else None)


def _seed_tree() -> tuple[dict, dict]:
    with (SEEDS / "question_answer_schema.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["schema_name"] == "gz_decals_dr5"]
    parents = {r["question"]: (r["parent_question"], r["parent_answer"]) for r in rows}
    order = {(r["question"], r["answer"]): i for i, r in enumerate(rows)}
    return parents, order


def _path_fraction(fraction, parents, sid, question, answer):
    """The product of fractions from the root down to this answer (0 once any step is 0)."""
    chain = [(question, answer)]
    while parents[chain[-1][0]][0]:
        chain.append(parents[chain[-1][0]])
    values = [fraction[(sid, q, a)] for q, a in chain]
    if any(v == 0 for v in values[1:]):
        return 0.0
    if any(v is None for v in values):
        return None
    return math.prod(values)
