"""A var of the wrong kind stops `dbt build` before anything is built, with one line naming the
var and the value (macros/vars/vars.sql), rather than becoming 0 or a default."""

from __future__ import annotations

import subprocess

import pytest
from conftest import PROJECT_ROOT, clean_environment

from warehouse.dbt import dbt_executable

pytestmark = pytest.mark.dbt


# the same check for other kinds of var: `make test-slow`
_ANOTHER_KIND = pytest.mark.slow


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            "{catalogue_min_total_votes: thirty}",
            "var catalogue_min_total_votes must be a whole number at least 0, not 'thirty'",
        ),
        (
            "{crossmatch_radius_arcsec: wide}",
            "var crossmatch_radius_arcsec must be a number above 0, not 'wide'",
        ),
        pytest.param(
            "{fraction_interval_level: high}",
            "var fraction_interval_level must be a number above 0 and at most 0.9999, not 'high'",
            marks=_ANOTHER_KIND,
        ),
        pytest.param(
            "{classified_after: '2018-02-30'}",
            "var classified_after must be a date (YYYY-MM-DD) or a time (YYYY-MM-DD HH:MM:SS), "
            "not '2018-02-30'",
            marks=_ANOTHER_KIND,
        ),
        pytest.param(
            "{volunteer_weight_tolerance: -0.01}",
            "var volunteer_weight_tolerance must be a number at least 0 and at most 1, not '-0.01'",
            marks=_ANOTHER_KIND,
        ),
        pytest.param(
            "{test_all_rows: 'yes'}",
            "var test_all_rows must be true or false, not 'yes'",
            marks=_ANOTHER_KIND,
        ),
        pytest.param(
            "{external_catalogue_ra_column: 7}",
            "var external_catalogue_ra_column must be text that is not empty, not '7'",
            marks=_ANOTHER_KIND,
        ),
    ],
)
def test_a_bad_var_fails_the_build_naming_the_var_and_the_value(tmp_path, variables, message):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database = data_dir / "warehouse.duckdb"
    env = clean_environment(data_dir) | {"WAREHOUSE_DB": str(database)}
    done = subprocess.run(
        [dbt_executable(), "build", "--vars", variables],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert [line.strip() for line in output.splitlines() if " must be " in line] == [message]
    assert "Traceback" not in output
    assert not database.exists()
