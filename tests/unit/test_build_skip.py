"""``gz-warehouse build`` decides from a fingerprint whether a build has anything to do.

These tests drive the decision with a stand-in for dbt (a script that records its arguments and
publishes a mart file); tests/integration/test_scheduling.py runs the real dbt build twice."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from ingest.settings import Settings
from warehouse import build, dbt


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project_dir = tmp_path / "project"
    (project_dir / "models").mkdir(parents=True)
    (project_dir / "dbt_project.yml").write_text("name: p\n")
    (project_dir / "models" / "votes.sql").write_text("select 1 as votes\n")
    (project_dir / "seeds").mkdir()
    (project_dir / "seeds" / "label_aliases.csv").write_text("label,answer\nstar,artifact\n")
    return project_dir


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(tmp_path / "data"))  # read by the fake dbt
    partition = tmp_path / "data" / "raw" / "classifications" / "project_id=1" / "workflow_id=2"
    partition.mkdir(parents=True)
    (partition / "part-1.parquet").write_bytes(b"one")
    return tmp_path / "data"


@pytest.fixture
def fake_dbt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An executable named like dbt that logs each call and publishes one mart file."""
    calls = tmp_path / "dbt-calls"
    script = tmp_path / "bin" / "dbt"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, pathlib, sys\n"
        f"pathlib.Path({str(calls)!r}).open('a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "marts = pathlib.Path(os.environ['WAREHOUSE_DATA_DIR']) / 'marts'\n"
        "marts.mkdir(exist_ok=True)\n"
        "(marts / 'vote_counts.parquet').write_bytes(b'mart')\n"
        "sys.exit(int(os.environ.get('FAKE_DBT_STATUS', '0')))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(dbt, "dbt_executable", lambda: str(script))
    return calls


def _build(data_dir: Path, project: Path, args: list[str], force: bool = False) -> int:
    settings = Settings(data_dir=data_dir, warehouse_db=data_dir / "warehouse.duckdb")
    return build.build(settings, args, force, project_dir=project)


def _calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_a_second_build_with_nothing_new_is_skipped(data_dir, project, fake_dbt):
    assert _build(data_dir, project, ["--exclude-resource-type", "unit_test"]) == 0
    assert _build(data_dir, project, ["--exclude-resource-type", "unit_test"]) == 0
    assert _calls(fake_dbt) == ["build --exclude-resource-type unit_test"]


@pytest.mark.parametrize(
    "change",
    ["new landed file", "model edited", "new model", "seed edited", "project var changed",
     "other arguments", "other vars", "mart deleted", "warehouse deleted", "forced"],
)  # fmt: skip
def test_anything_a_build_depends_on_makes_it_build(data_dir, project, fake_dbt, change):
    args = ["--select", "vote_counts"]
    force = False
    _build(data_dir, project, args)
    if change == "new landed file":
        partition = data_dir / "raw" / "classifications" / "project_id=1" / "workflow_id=2"
        (partition / "part-2.parquet").write_bytes(b"two")
    elif change == "model edited":
        (project / "models" / "votes.sql").write_text("select 2 as votes\n")
    elif change == "new model":
        (project / "models" / "more.sql").write_text("select 1 as more\n")
    elif change == "seed edited":
        (project / "seeds" / "label_aliases.csv").write_text("label,answer\nstar,artefact\n")
    elif change == "project var changed":
        (project / "dbt_project.yml").write_text("name: p\nvars:\n  repeat_classifications: all\n")
    elif change == "other arguments":
        args = ["--full-refresh"]
    elif change == "other vars":
        args = [*args, "--vars", "{repeat_classifications: last}"]
    elif change == "mart deleted":
        (data_dir / "marts" / "vote_counts.parquet").unlink()
    elif change == "warehouse deleted":
        (data_dir / "warehouse.duckdb").unlink()
    else:
        force = True
    _build(data_dir, project, args, force)
    assert len(_calls(fake_dbt)) == 2


def test_a_failed_build_is_not_recorded(data_dir, project, fake_dbt, monkeypatch):
    monkeypatch.setenv("FAKE_DBT_STATUS", "1")
    assert _build(data_dir, project, []) == 1
    monkeypatch.setenv("FAKE_DBT_STATUS", "0")
    assert _build(data_dir, project, []) == 0
    assert _build(data_dir, project, []) == 0
    assert len(_calls(fake_dbt)) == 2


def test_temporary_and_hidden_files_do_not_count_as_landed(data_dir, project):
    before = build.fingerprint(data_dir, project, [])
    partition = data_dir / "raw" / "classifications" / "project_id=1" / "workflow_id=2"
    (partition / ".part-3.parquet.123.tmp").write_bytes(b"half")
    (project / "models" / "__pycache__").mkdir()
    (project / "models" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert build.fingerprint(data_dir, project, []) == before
