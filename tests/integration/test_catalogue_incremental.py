"""A schema's catalogue (the wide vote fractions joined to the external catalogue) is built
incrementally: a build joins again only the galaxies whose vote fractions it rewrote, and every
galaxy once the crossmatch changed (a new catalogue file, or none), and after each build it
equals a --full-refresh build of the same landing and vars, columns in the same order.

Seven builds in a row: marked slow, run by `make test-slow` (and by .ci/run).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import (
    GZ_WAREHOUSE,
    WORKFLOW_ID,
    clean_environment,
    rewritten_subjects,
    rows_but_load_time,
    run_dbt,
    run_ingest,
    standin_server,
    write_catalogue,
)

from standin import sample
from standin.server import StandInData

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

CATALOGUE = "gz_decals_dr5_catalogue"
VOTE_FRACTIONS = "gz_decals_dr5_vote_fractions"
LAST = 6  # classifications landed by the second build


def matched(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            f"select count(*) from {CATALOGUE} where match_method is not null"
        ).fetchall()[0][0]


class Warehouse:
    """One landing built incrementally, and compared after each build with a --full-refresh."""

    def __init__(self, root: Path) -> None:
        self.data_dir = root / "data"
        self.incremental = root / "incremental.duckdb"
        self.reference = root / "reference.duckdb"
        self.vars: dict[str, object] = {"catalogue_min_total_votes": 5}

    def build(self) -> None:
        variables = json.dumps(self.vars)
        run_dbt(self.data_dir, self.incremental, "--vars", variables)
        run_dbt(
            self.data_dir, self.reference, "--vars", variables, "--full-refresh",
            "--exclude", "resource_type:test",
        )  # fmt: skip

    def assert_equals_full_refresh(self) -> None:
        built, reference = (
            rows_but_load_time(self.incremental, CATALOGUE),
            rows_but_load_time(self.reference, CATALOGUE),
        )
        assert built[0] == reference[0], "columns differ from a --full-refresh build"
        assert built[1] == reference[1], "rows differ from a --full-refresh build"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("catalogue-incremental")
    made = sample.generate(n_classifications=900, n_subjects=60, seed=23)
    built = Warehouse(root)
    write_catalogue(made, root / "nsa.fits")
    converted = subprocess.run(
        [GZ_WAREHOUSE, "catalogue", "import", str(root / "nsa.fits")],
        env=clean_environment(built.data_dir), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert converted.returncode == 0, converted.stderr
    built.vars["external_catalogue"] = str(built.data_dir / "catalogues" / "nsa.parquet")
    data = StandInData.from_sample(made)
    with standin_server(data) as api:
        data.publish(len(made.classifications) - LAST)
        assert run_ingest(api, built.data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        run_dbt(built.data_dir, built.incremental, "--vars", json.dumps(built.vars))
        data.publish_all()
        assert run_ingest(api, built.data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    return built


def test_new_votes_join_only_the_galaxies_whose_fractions_changed(warehouse):
    warehouse.build()
    warehouse.assert_equals_full_refresh()
    joined = rewritten_subjects(warehouse.incremental, CATALOGUE)
    with duckdb.connect(str(warehouse.incremental), read_only=True) as con:
        (catalogued,) = con.execute(f"select count(*) from {CATALOGUE}").fetchall()[0]
    assert joined == rewritten_subjects(warehouse.incremental, VOTE_FRACTIONS)
    assert 0 < len(joined) < catalogued
    assert matched(warehouse.incremental) > 0


def test_a_new_catalogue_file_joins_every_galaxy_again(warehouse):
    first = Path(str(warehouse.vars["external_catalogue"]))
    second = first.with_name("nsa-v2.parquet")
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace (nsaid + 100000 as nsaid), ra + dec as r_mag "
            f"from read_parquet('{first}')) to '{second}' (format parquet)"
        )
    warehouse.vars["external_catalogue"] = str(second)
    warehouse.build()
    warehouse.assert_equals_full_refresh()
    with duckdb.connect(str(warehouse.incremental), read_only=True) as con:
        columns = [row[0] for row in con.execute(f"describe {CATALOGUE}").fetchall()]
        catalogued = {
            row[0] for row in con.execute(f"select subject_id from {CATALOGUE}").fetchall()
        }
    assert columns[-2:] == ["catalogue_r_mag", "_loaded_at"]
    assert rewritten_subjects(warehouse.incremental, CATALOGUE) == catalogued


def test_taking_the_catalogue_away_clears_every_match(warehouse):
    del warehouse.vars["external_catalogue"]
    warehouse.build()
    warehouse.assert_equals_full_refresh()
    assert matched(warehouse.incremental) == 0
