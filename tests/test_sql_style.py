"""The dbt SQL is sqlfluff-clean (dialect duckdb, templater dbt) as a fresh checkout renders it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
