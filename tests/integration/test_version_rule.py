"""The dbt project reads a workflow version by the ingest's rule: "major.minor", two ids.

The staging view splits ``workflow_version`` with the dbt macro ``workflow_version_part``; the
ingest checks versions with ``workflow_version_number`` (ingest/sql/macros.sql). Both are held to
the same table of inputs here: the dbt macro is compiled by dbt and run by DuckDB."""

from __future__ import annotations

import json
import subprocess

import duckdb
import pytest
from conftest import PROJECT_ROOT, clean_environment
from contract_cases import VERSIONS

from ingest.queries import query
from warehouse.dbt import dbt_executable


@pytest.fixture(scope="module")
def dbt_version_part(tmp_path_factory) -> str:
    """``workflow_version_part(v, 1)`` and ``(v, 2)`` as DuckDB compiles them, over column v."""
    data_dir = tmp_path_factory.mktemp("version-rule") / "data"
    env = clean_environment(data_dir) | {"WAREHOUSE_DB": ":memory:"}
    inline = (
        "select {{ workflow_version_part('v', 1) }} as major, "
        "{{ workflow_version_part('v', 2) }} as minor from versions"
    )
    done = subprocess.run(
        [dbt_executable(), "compile", "--inline", inline, "--output", "json", "--quiet"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return json.loads(done.stdout)["compiled"]


@pytest.mark.parametrize(("text", "numbers"), VERSIONS.items())
def test_dbt_and_the_ingest_read_the_same_versions(dbt_version_part, text, numbers):
    with duckdb.connect() as con:
        con.execute(query("ingest", "macros"))
        con.execute("create table versions as select $text as v", {"text": text})
        [dbt_parts] = con.execute(dbt_version_part).fetchall()
        [ingest_parts] = con.execute(
            "select workflow_version_number(v, 1), workflow_version_number(v, 2) from versions"
        ).fetchall()
    assert dbt_parts == ingest_parts
    assert (None if None in dbt_parts else dbt_parts) == numbers
