"""The README's first command: stand-in, ingest over HTTP in two passes, dbt build, summary."""

from __future__ import annotations

import re
import signal
import subprocess
import threading

import duckdb
import pytest
import requests
from conftest import GZ_WAREHOUSE, PROJECT_ROOT, clean_environment


def demo(data_dir, *extra: str) -> subprocess.CompletedProcess[str]:
    env = clean_environment(data_dir)
    del env["WAREHOUSE_DATA_DIR"]  # the demo uses its own --data-dir
    return subprocess.run(
        [GZ_WAREHOUSE, "demo", "--data-dir", str(data_dir),
         "--classifications", "2000", "--subjects", "150", *extra],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


@pytest.mark.dbt
def test_demo_runs_the_pipeline_end_to_end_and_dbt_build_passes(tmp_path):
    data_dir = tmp_path / "demo"

    done = demo(data_dir)

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "new classifications        1,800" in out
    assert "new classifications          200" in out  # the second pass sees only what is new
    assert "ERROR=0" in out and "PASS=" in out
    assert (
        "classifications landed 2,000 (2,000 distinct), subjects 150, workflow versions 24" in out
    )
    assert "gz_decals_dr5_vote_fractions" in out and "iauname" in out
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        catalogue_rows = con.execute("select count(*) from gz_decals_dr5_vote_fractions").fetchall()
        annotations = con.execute("select count(*) from intermediate.derived").fetchall()[0][0]
        counted = con.execute("select sum(total_votes) from question_predictions").fetchall()
        images = con.execute("select image_url from subjects").fetchall()
    assert catalogue_rows == [(150,)]
    # the subjects' images are the ones the demo's stand-in drew (gone once the demo ends)
    assert len(images) == 150
    assert all(
        re.fullmatch(r"http://127\.0\.0\.1:\d+/subject_images/\d+\.png", u) for (u,) in images
    )
    # the summary adds up: every landed annotation, each in one line, counted ones as counted
    total = re.search(r"annotations landed ([\d,]+)", out)
    assert total and int(total.group(1).replace(",", "")) == annotations
    block = out.split("annotations landed", 1)[1].split("\n\n", 1)[0]
    lines = re.findall(r"^ +([\d,]+)  (.+)$", block, flags=re.MULTILINE)
    assert sum(int(n.replace(",", "")) for n, _ in lines) == annotations
    assert (str(f"{counted[0][0]:,}"), "counted") in lines


def test_demo_refuses_to_delete_a_directory_it_did_not_make(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")

    done = demo(tmp_path)

    assert done.returncode == 1
    assert "was not made by the demo" in done.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


@pytest.mark.slow  # a whole demo again: `make test-slow`
def test_demo_serve_keeps_the_standin_for_the_images_and_serves_the_dashboard(tmp_path):
    data_dir = tmp_path / "demo"
    env = clean_environment(data_dir)
    del env["WAREHOUSE_DATA_DIR"]
    command = [GZ_WAREHOUSE, "demo", "--data-dir", str(data_dir), "--classifications", "500",
               "--subjects", "40", "--serve", "--port", "0"]  # fmt: skip
    with subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True
    ) as running:
        watchdog = threading.Timer(600, running.kill)
        watchdog.start()
        try:
            lines = iter(running.stdout.readline, "")
            line = next((line for line in lines if line.startswith("dashboard at ")), "")
            dashboard = re.match(r"dashboard at (http://\S+/) ", line)
            assert dashboard, line
            with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
                [(image_url,)] = con.execute("select image_url from subjects limit 1").fetchall()

            image = requests.get(image_url, timeout=10)
            page = requests.get(dashboard.group(1), timeout=10)

            assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
            assert image.content.startswith(b"\x89PNG")
            assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
        finally:
            running.send_signal(signal.SIGINT)
            rest = running.stdout.read()
            watchdog.cancel()
    assert running.returncode == 0 and "stopped" in rest
    with pytest.raises(requests.ConnectionError):  # Ctrl-C stopped the stand-in too
        requests.get(image_url, timeout=10)
