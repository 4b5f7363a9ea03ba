"""The scheduled run (deploy/scheduled_run.sh, as cron and the CI workflow call it) against the
stand-in: secrets from a mode-600 file, ingest, freshness, build, marts published; a second run
with nothing new skips the build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    PROJECT_ID,
    PROJECT_ROOT,
    WORKFLOW_ID,
    clean_environment,
    standin_server,
)

from standin.server import StandInData

SCRIPT = PROJECT_ROOT / "deploy" / "scheduled_run.sh"
WORKFLOW_FILE = PROJECT_ROOT / ".github" / "workflows" / "scheduled-ingest.yml"


def _scheduled_run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.slow  # another series of ingests and builds: `make test-slow`
@pytest.mark.dbt
def test_the_scheduled_run_ingests_checks_freshness_and_builds(small_sample, tmp_path):
    secrets = tmp_path / "panoptes.env"
    # every form the file may take: comments, blank lines, `export`, quotes, CRLF line ends
    secrets.write_text(
        "# Panoptes credentials for the scheduled run\n\n"
        f"export PANOPTES_CLIENT_ID='{CLIENT_ID}'\r\n"
        f'PANOPTES_CLIENT_SECRET="{CLIENT_SECRET}"  # the client secret\n'
        f"PANOPTES_WORKFLOW_IDS={WORKFLOW_ID}"  # no newline at the end
    )
    secrets.chmod(0o600)
    data_dir = tmp_path / "data"
    env = clean_environment(data_dir) | {
        "WAREHOUSE_ENV_FILE": str(secrets),
        "PANOPTES_PROJECT_ID": str(PROJECT_ID),
        "WAREHOUSE_VENV": str(Path(sys.executable).parent.parent),
    }
    mart = data_dir / "marts" / "vote_counts" / "_buckets.json"
    with standin_server(StandInData.from_sample(small_sample)) as api:
        done = _scheduled_run(env | {"PANOPTES_API_URL": api.url})
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-4000:]
        assert "PASS freshness of panoptes.classifications" in output
        assert mart.is_file()
        assert CLIENT_SECRET not in output
        published = mart.stat().st_mtime_ns

        again = _scheduled_run(env | {"PANOPTES_API_URL": api.url})
    output = again.stdout + again.stderr
    assert again.returncode == 0, output[-4000:]
    assert "PASS freshness of panoptes.classifications" in output  # still checked every run
    assert "dbt build skipped" in output
    assert mart.stat().st_mtime_ns == published


def test_the_scheduled_run_says_what_is_missing(tmp_path):
    done = _scheduled_run(clean_environment(tmp_path / "data"))
    assert done.returncode != 0
    assert "PANOPTES_PROJECT_ID" in done.stderr
    assert not (tmp_path / "data").exists()


def test_a_malformed_line_of_the_env_file_is_named_by_its_number_and_never_shown(tmp_path):
    pasted = "pasted-secret-5b2e9d0c"
    secrets = tmp_path / "panoptes.env"
    secrets.write_text(
        f"PANOPTES_CLIENT_ID={CLIENT_ID}\n"
        "# the secret, pasted with a space in it\n"
        f"PANOPTES_CLIENT_SECRET={CLIENT_SECRET} {pasted}\n"
        f"{pasted}\n"
        f"PANOPTES_TOKEN='{pasted}\n"
    )
    secrets.chmod(0o600)
    env = clean_environment(tmp_path / "data") | {
        "WAREHOUSE_ENV_FILE": str(secrets),
        "WAREHOUSE_VENV": str(Path(sys.executable).parent.parent),
    }

    done = _scheduled_run(env)

    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert pasted not in output and CLIENT_SECRET not in output
    assert done.stderr.splitlines() == [
        f"WAREHOUSE_ENV_FILE line {number} is not KEY=value" for number in (3, 4, 5)
    ] + ["WAREHOUSE_ENV_FILE: fix the lines above; nothing was run"]
    assert not (tmp_path / "data").exists()


def test_the_ci_schedule_runs_the_script_with_the_credentials_as_secrets():
    workflow = yaml.safe_load(WORKFLOW_FILE.read_text())
    assert workflow[True]["schedule"][0]["cron"]  # YAML 1.1 reads the key `on` as True
    steps = workflow["jobs"]["ingest-and-build"]["steps"]
    runs = [step for step in steps if step.get("run") == "deploy/scheduled_run.sh"]
    assert len(runs) == 1
    assert runs[0]["env"] == {
        "PANOPTES_CLIENT_ID": "${{ secrets.PANOPTES_CLIENT_ID }}",
        "PANOPTES_CLIENT_SECRET": "${{ secrets.PANOPTES_CLIENT_SECRET }}",
    }
    crontab = (PROJECT_ROOT / "deploy" / "crontab.example").read_text()
    entries = [line for line in crontab.splitlines() if line and not line.startswith("#")]
    assert any("deploy/scheduled_run.sh" in line for line in entries)
    assert not any("SECRET" in line or "TOKEN" in line for line in entries)
