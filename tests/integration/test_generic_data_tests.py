"""The project's own generic data tests (tests/dbt/generic/), run by a real dbt on DuckDB in a
project of two tiny models: each fails on the rows it exists to catch, naming them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, dbt_executable

pytestmark = pytest.mark.dbt

PROPERTIES = """
version: 2
models:
  - name: {name}
    data_tests:
      - not_null_columns:
          arguments:
            columns: [a, b, c]
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [a, c]
      - expressions_are_true:
          arguments:
            expressions: ["a > 0", "c is null or c = 1"]
"""


def _project(root: Path) -> Path:
    (root / "models").mkdir(parents=True)
    shutil.copytree(PROJECT_ROOT / "tests" / "dbt" / "generic", root / "tests" / "generic")
    (root / "dbt_project.yml").write_text(
        "name: generic_tests\nversion: '1.0'\nconfig-version: 2\nprofile: generic_tests\n"
        "flags:\n  send_anonymous_usage_stats: false\n"
    )
    (root / "profiles.yml").write_text(
        "generic_tests:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
        f"      path: {root / 'tests.duckdb'}\n      threads: 1\n"
    )
    rows = {
        # every column filled, keys unique, a > 0: every test passes
        "clean": "select 1 as a, 'x' as b, 1 as c union all select 2, 'y', 1",
        # b null twice and c once; (1, 1) twice; a = 0 once, c = 2 once
        "broken": (
            "select 1 as a, null as b, 1 as c union all select 1, null, 1"
            " union all select 0, 'z', null union all select 3, 'w', 2"
        ),
    }
    for name, sql in rows.items():
        (root / "models" / f"{name}.sql").write_text(sql + "\n")
        (root / "models" / f"_{name}.yml").write_text(PROPERTIES.format(name=name))
    return root


def test_generic_tests_pass_clean_rows_and_fail_on_what_they_check(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "WAREHOUSE_"))}
    done = subprocess.run(
        [dbt_executable(), "build", "--store-failures", "--profiles-dir", str(project)],
        cwd=project, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-3000:]
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    status = {
        result["unique_id"].split(".")[2]: (result["status"], result["failures"])
        for result in results
        if result["unique_id"].startswith("test.")
    }
    passed = {name: value for name, value in status.items() if "_clean_" in name}
    failed = {name: value for name, value in status.items() if "_broken_" in name}
    assert len(passed) == 3 and all(value == ("pass", 0) for value in passed.values()), passed
    assert len(failed) == 3 and all(value[0] == "fail" for value in failed.values()), failed
    # not_null_columns: a row per column with nulls, with how many
    nulls = _stored_failures(project, "not_null_columns_broken", "column_name, null_rows")
    assert nulls == [("b", 2), ("c", 1)]
    # expressions_are_true: the rows that break an expression, saying which
    broken = _stored_failures(project, "expressions_are_true_broken", "a, holds_1, holds_2")
    assert broken == [(0, False, True), (3, True, False)]


def _stored_failures(project: Path, test_prefix: str, columns: str) -> list[tuple]:
    """The failing rows a test stored (--store-failures), ordered by the first column."""
    with duckdb.connect(str(project / "tests.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where table_name like ?",
            [f"{test_prefix}%"],
        ).fetchall()
        assert len(tables) == 1, tables
        return con.execute(
            f'select {columns} from "{tables[0][0]}"."{tables[0][1]}" order by 1'
        ).fetchall()
