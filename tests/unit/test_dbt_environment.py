"""What ``gz-warehouse build`` hands dbt: absolute paths, and nothing a plain ``dbt build`` in
the same environment would not render the same way (dbt parses the project again whenever the
variables its profile reads differ from the last run's)."""

from __future__ import annotations

import os
from pathlib import Path

from ingest.settings import Settings


def test_an_absolute_data_directory_is_passed_as_given(tmp_path: Path) -> None:
    environ = {"WAREHOUSE_DATA_DIR": str(tmp_path), "PATH": "/bin"}
    env = Settings.from_env(environ).dbt_environment(environ)
    assert env == environ  # nothing a plain dbt build would render otherwise


def test_the_variables_a_user_set_are_kept_as_written(tmp_path: Path) -> None:
    environ = {
        "WAREHOUSE_DATA_DIR": str(tmp_path),
        "WAREHOUSE_DB": str(tmp_path / "warehouse.duckdb"),
        "WAREHOUSE_LOCK_WAIT": "600",
    }
    assert Settings.from_env(environ).dbt_environment(environ) == environ


def test_relative_paths_are_made_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    environ = {"WAREHOUSE_DATA_DIR": "data", "WAREHOUSE_DB": "elsewhere/w.duckdb"}
    env = Settings.from_env(environ).dbt_environment(environ)
    assert env["WAREHOUSE_DATA_DIR"] == os.path.join(tmp_path, "data")
    assert env["WAREHOUSE_DB"] == os.path.join(tmp_path, "elsewhere", "w.duckdb")


def test_settings_given_in_code_reach_dbt(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", warehouse_db=tmp_path / "w.duckdb", lock_wait_seconds=1.5
    )
    env = settings.dbt_environment({"WAREHOUSE_DB": "stale.duckdb"})
    assert env["WAREHOUSE_DATA_DIR"] == str(tmp_path / "data")
    assert env["WAREHOUSE_DB"] == str(tmp_path / "w.duckdb")
    assert env["WAREHOUSE_LOCK_WAIT"] == "1.5"


def test_the_default_database_and_lock_wait_are_left_to_the_profile(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, warehouse_db=tmp_path / "warehouse.duckdb")
    env = settings.dbt_environment({})
    assert "WAREHOUSE_DB" not in env
    assert "WAREHOUSE_LOCK_WAIT" not in env
