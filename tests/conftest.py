"""Shared fixtures: a real Panoptes stand-in over HTTP and a real ``python -m ingest`` process."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from astropy.table import Table

from standin import sample
from standin.server import PanoptesStandIn, StandInData
from warehouse.dbt import PROJECT_DIR, dbt_executable

PROJECT_ROOT = PROJECT_DIR
# The console script `pip install -e .` put beside this Python, run as a user runs it.
GZ_WAREHOUSE = str(Path(sys.executable).parent / "gz-warehouse")
CLIENT_ID = "warehouse-tests"
CLIENT_SECRET = "client-secret-9f3c1e7a-never-printed"
PROJECT_ID = sample.PROJECT_ID
WORKFLOW_ID = sample.WORKFLOW_ID
OTHER_WORKFLOW_ID = 10581


@pytest.fixture(scope="session")
def small_sample() -> sample.Sample:
    """1,500 classifications over 120 subjects of workflow 6122 (real versions)."""
    return sample.generate(n_classifications=1_500, n_subjects=120)


@pytest.fixture(scope="session")
def two_workflow_sample() -> sample.Sample:
    """Classifications dealt to workflow 6122 and a second workflow of the same project.

    The second workflow reuses the latest 6122 version's tree: enough to test filtering by
    workflow, which is all this is for.
    """
    latest = copy.deepcopy(sample.workflow_6122_versions()[-1])
    latest["id"] = "99000001"
    return sample.generate(
        n_classifications=1_200,
        n_subjects=100,
        workflows={
            WORKFLOW_ID: list(sample.workflow_6122_versions()),
            OTHER_WORKFLOW_ID: [latest],
        },
    )


def standin_server(data: StandInData, **options: Any) -> PanoptesStandIn:
    """A stand-in that accepts the test client's credentials (use it as a context manager)."""
    return PanoptesStandIn(data, clients={CLIENT_ID: CLIENT_SECRET}, **options)


@pytest.fixture
def api(small_sample: sample.Sample) -> Iterator[PanoptesStandIn]:
    with standin_server(StandInData.from_sample(small_sample)) as server:
        yield server


@dataclass
class IngestRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_ingest(
    api: PanoptesStandIn,
    data_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    credentials: bool = True,
) -> IngestRun:
    """Run ``python -m ingest api`` as a user would, against the stand-in."""
    environment = clean_environment(data_dir)
    if credentials:
        environment["PANOPTES_CLIENT_ID"] = CLIENT_ID
        environment["PANOPTES_CLIENT_SECRET"] = CLIENT_SECRET
    environment.update(env or {})
    command = [
        sys.executable, "-m", "ingest", "api",
        "--project-id", str(PROJECT_ID),
        "--api-url", api.url,
        "--retry-backoff", "0.05",
        *args,
    ]  # fmt: skip
    done = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    return IngestRun(done.returncode, done.stdout, done.stderr)


def clean_environment(data_dir: Path) -> dict[str, str]:
    """The environment of a user's shell pointed at ``data_dir``: no credentials of ours, and
    dbt's artefacts beside the data, so tests running at the same time do not share them."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PANOPTES_", "WAREHOUSE_", "DBT_"))
    }
    environment["WAREHOUSE_DATA_DIR"] = str(data_dir)
    environment["DBT_TARGET_PATH"] = str(data_dir.parent / f"{data_dir.name}-dbt-target")
    environment["DBT_LOG_PATH"] = str(data_dir.parent / f"{data_dir.name}-dbt-logs")
    return environment


def run_export(data_dir: Path, *args: str) -> IngestRun:
    """Run ``python -m ingest export`` as a user would."""
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "export", *args],
        env=clean_environment(data_dir), capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    return IngestRun(done.returncode, done.stdout, done.stderr)


def run_dbt(data_dir: Path, database: Path, *args: str, project_dir: Path = PROJECT_ROOT) -> str:
    """``dbt build`` from the project root (or a copy of the project) on a landing; fails the
    test if dbt fails.

    dbt's unit tests are left to the test that runs the whole build
    (tests/integration/test_demo.py); the data tests run every time."""
    env = clean_environment(data_dir) | {"WAREHOUSE_DB": str(database)}
    done = subprocess.run(
        [dbt_executable(), "build", "--exclude", "test_type:unit", *args], cwd=project_dir,
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return done.stdout


# What a copy of the dbt project needs (the rest of the repository is not dbt's).
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt")


def copy_project(destination: Path) -> Path:
    """A copy of the dbt project whose seeds and models a test may edit."""
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            ignored = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source, destination / part, ignore=ignored)
        else:
            (destination / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / part)
    return destination


def landed(data_dir: Path, dataset: str = "classifications") -> list[dict[str, Any]]:
    """Rows of a landed dataset, read the way the warehouse reads them."""
    pattern = f"{data_dir}/raw/{dataset}/**/*.parquet"
    with duckdb.connect() as con:
        relation = con.sql(f"select * from read_parquet('{pattern}', hive_partitioning = true)")
        columns = relation.columns
        return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]


def served_ids(items: list[dict[str, Any]], workflow_id: int | None = None) -> list[int]:
    return sorted(
        int(c["id"])
        for c in items
        if workflow_id is None or int(c["links"]["workflow"]) == workflow_id
    )


def vote_counts_in(database: Path) -> dict[tuple, tuple[int, int]]:
    """{(schema, subject, question, answer): (votes, total_votes)} from a built warehouse."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select schema_name, subject_id, question, answer, votes, total_votes from vote_counts"
        ).fetchall()
    return {tuple(row[:4]): (row[4], row[5]) for row in rows}


def write_catalogue(generated: sample.Sample, path: Path) -> dict[int, tuple[int, str]]:
    """A FITS catalogue: a third of the subjects under their own name, a third 0.8 arcsec away
    under another name, a third absent; plus unrelated objects. Returns the expected matches."""
    names, ras, decs, ids, truth = [], [], [], [], {}
    for i, subject in enumerate(generated.subjects):
        sid, metadata = int(subject["id"]), subject["metadata"]
        ra, dec = metadata["!ra"], metadata["!dec"]
        if i % 3 == 0:
            names.append(metadata["!iauname"]), ras.append(ra), decs.append(dec)
            truth[sid] = (1000 + i, "iauname")
        elif i % 3 == 1:
            names.append(f"NSA {1000 + i}"), ras.append(ra), decs.append(dec + 0.8 / 3600)
            truth[sid] = (1000 + i, "position")
        else:
            continue
        ids.append(1000 + i)
    for j in range(200):
        names.append(f"field {j}"), ras.append((j * 1.7) % 360), decs.append(-40 + j * 0.3)
        ids.append(5000 + j)
    Table({"iauname": names, "ra": ras, "dec": decs, "nsaid": ids}).write(path, format="fits")
    return truth


def rows_but_load_time(database: Path, relation: str) -> tuple[list[str], list[tuple]]:
    """Columns and rows of a relation but the time they were built, floats to 12 significant
    digits (sums aggregated in parallel, as the weighted votes are, may differ in their last
    bit): what an incremental build and a --full-refresh build are compared by."""
    with duckdb.connect(str(database), read_only=True) as con:
        result = con.sql(f"select * exclude (_loaded_at) from {relation}")
        columns, rows = result.columns, result.fetchall()
    rounded = [
        tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in row) for row in rows
    ]
    return columns, sorted(rounded, key=repr)


def rewritten_subjects(database: Path, relation: str) -> set[int]:
    """The subjects whose rows the last build of ``relation`` wrote."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            f"select distinct subject_id from {relation} "
            f"where _loaded_at = (select max(_loaded_at) from {relation})"
        ).fetchall()
    return {subject for (subject,) in rows}
