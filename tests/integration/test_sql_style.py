"""The SQL is sqlfluff-clean (dialect duckdb): the dbt project as a fresh checkout renders it, and
the queries the Python packages run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT, clean_environment


def test_sqlfluff_lint_is_clean(tmp_path):
    env = clean_environment(tmp_path / "data") | {"WAREHOUSE_DB": ":memory:"}
    sqlfluff = Path(sys.executable).parent / "sqlfluff"
    done = subprocess.run(
        [str(sqlfluff), "lint", "models", "tests/dbt", "--disable-progress-bar"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "All Finished" in done.stdout


@pytest.mark.parametrize("folder", ["ingest/sql", "warehouse/sql", "standin/sql"])
def test_sql_run_from_python_is_lint_clean(folder):
    """The queries the packages run (``$name`` parameters, no Jinja) lint with the same rules.

    sqlfluff takes the templater only from the working directory's config, so each folder's
    ``.sqlfluff`` (placeholder templater) is linted from inside that folder."""
    sqlfluff = Path(sys.executable).parent / "sqlfluff"
    done = subprocess.run(
        [str(sqlfluff), "lint", ".", "--disable-progress-bar"],
        cwd=PROJECT_ROOT / folder, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "All Finished" in done.stdout
