"""The dashboard: its JSON API against the marts, and its pages in headless Chromium (Playwright
driving the system's Chromium): each page loads without a console error, the sky map has one
mark per subject, the subject browser shows thumbnails and downloads its selection as CSV.

The sample is landed from the stand-in over HTTP and built once for the module; the stand-in
keeps running, as it serves the subjects' images the pages show.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import WORKFLOW_ID, run_dbt, run_ingest, standin_server

from standin import sample
from standin.server import PanoptesStandIn, StandInData
from warehouse.dashboard import Marts, serve

pytestmark = pytest.mark.dbt

SCHEMA = "gz_decals_dr5"
QUESTION = "smooth-or-featured"
ANSWER = "featured-or-disk"
SELECTION = f"schema={SCHEMA}&question={QUESTION}&answer={ANSWER}"
# Where `make screenshots` asks the browser test to leave its pictures (docs/); a temporary
# directory otherwise.
SCREENSHOTS = os.environ.get("DASHBOARD_SCREENSHOTS")


@dataclass
class Built:
    data_dir: Path
    database: Path
    api: PanoptesStandIn
    url: str  # the dashboard's

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql, params or {}).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("dashboard")
    generated = sample.generate(n_classifications=4_000, n_subjects=300, seed=19)
    data_dir, database = root / "data", root / "warehouse.duckdb"
    with standin_server(StandInData.from_sample(generated)) as api:
        done = run_ingest(api, data_dir, "--workflow-id", str(WORKFLOW_ID))
        assert done.returncode == 0, done.output
        run_dbt(data_dir, database)
        server = serve(Marts(data_dir / "marts"), port=0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield Built(data_dir, database, api, f"http://127.0.0.1:{server.server_address[1]}")
        server.shutdown()
        server.server_close()


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def _text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode()


# ---- the JSON API ----------------------------------------------------------------------------


def test_the_summary_names_the_project_and_its_workflows_with_their_retirement(built):
    summary = _get(f"{built.url}/api/summary")
    assert summary["project_name"] == "Galaxy Zoo"  # the stand-in's /projects/5733
    assert summary["project_slug"] == "zookeeper/galaxy-zoo"
    (workflow,) = summary["workflows"]
    assert (workflow["workflow_id"], workflow["workflow_name"]) == (WORKFLOW_ID, "DECaLS DR5")
    # the rule is the workflow's own (the stand-in's 25), never a default
    assert workflow["retirement_criteria"] == "classification_count"
    assert workflow["retirement_count"] == sample.RETIREMENT_COUNT
    # the statuses landed, so retirement is Panoptes' own
    retired = built.query("select count(retired_at) from subjects")[0][0]
    assert workflow["retirement_source"] == "panoptes"
    assert workflow["retired_subjects"] == retired > 0
    subjects, classifications = built.query(
        "select count(*), sum(classification_count) from subjects"
    )[0]
    volunteers = built.query("select count(*) from volunteers")[0][0]
    assert (summary["subjects"], summary["classifications"], summary["volunteers"]) == (
        subjects, classifications, volunteers,
    )  # fmt: skip
    assert summary["schemas"] == [SCHEMA]

    histogram = _get(f"{built.url}/api/retirement")
    assert {r["workflow_id"] for r in histogram} == {WORKFLOW_ID}
    assert sum(r["subjects"] for r in histogram) == workflow["subjects"]
    assert sum(r["retired"] for r in histogram) == retired
    assert max(r["classifications"] for r in histogram) <= 2 * sample.RETIREMENT_COUNT


def test_activity_volunteers_and_accounting_agree_with_the_marts(built):
    activity_total = built.query("select sum(classifications) from classification_activity")
    months = _get(f"{built.url}/api/activity?bucket=month")  # the whole history by default
    assert sum(r["classifications"] for r in months) == activity_total[0][0]
    last_hour = built.query("select max(classified_hour) from classification_activity")[0][0]
    for bucket, periods, step in (("hour", 168, 3600), ("day", 90, 86400)):
        rows = _get(f"{built.url}/api/activity?bucket={bucket}")
        assert len(rows) == periods  # the latest week of hours, 90 days: zero-filled
        starts = [datetime.fromisoformat(r["period"]) for r in rows]
        assert all((b - a).total_seconds() == step for a, b in itertools.pairwise(starts))
        assert starts[-1] <= last_hour < starts[-1] + timedelta(seconds=step)

    daily = _get(f"{built.url}/api/volunteer-activity")
    assert sum(r["classifications"] for r in daily) == activity_total[0][0]
    first_days = built.query("select count(*) from volunteers")[0][0]
    assert sum(r["new_volunteers"] for r in daily) == first_days  # one workflow here
    bins = _get(f"{built.url}/api/volunteers")
    assert sum(b["volunteers"] for b in bins) == first_days
    for b in bins:  # doubling bins: 1, 2-3, 4-7 ...
        assert (b["fewest"], b["most"]) == (2 ** b["bin"], 2 ** (b["bin"] + 1) - 1)
    logged_in = built.query("select sum(classifications) from volunteers")[0][0]
    assert sum(b["classifications"] for b in bins) == logged_in

    accounting = _get(f"{built.url}/api/accounting")
    landed = built.query("select sum(annotations) from vote_accounting")[0][0]
    assert sum(r["annotations"] for r in accounting) == landed
    replayed = _get(f"{built.url}/api/retirement-replay")
    rules = built.query("select rule_name from retirement_replay_summary order by all")
    assert sorted(r["rule_name"] for r in replayed) == [r[0] for r in rules]


def test_questions_are_in_the_words_of_the_workflow(built):
    questions = _get(f"{built.url}/api/questions?schema={SCHEMA}")
    first = questions[0]
    assert first["question"] == QUESTION
    assert first["question_text"].startswith("Is the galaxy simply smooth and rounded")
    assert first["answer_texts"] == ["Smooth", "Features or Disk", "Star or Artifact"]
    expected = dict(
        built.query(
            "select answer, count(*) from vote_counts where schema_name = $schema "
            "and question = $question and vote_fraction is not null group by answer",
            {"schema": SCHEMA, "question": QUESTION},
        )
    )
    histogram = _get(f"{built.url}/api/fractions?schema={SCHEMA}&question={QUESTION}")
    assert {h["answer"]: sum(h["counts"]) for h in histogram} == expected


def test_the_sky_map_has_every_subject_and_the_selected_fraction(built):
    min_votes = 12
    sky = _get(f"{built.url}/api/sky?{SELECTION}&min_votes={min_votes}")
    located = built.query(
        "select subject_id, ra, dec from subjects where ra is not null and dec is not null "
        "order by subject_id"
    )
    assert sky["subject_id"] == [r[0] for r in located]
    assert (sky["ra"], sky["dec"]) == ([r[1] for r in located], [r[2] for r in located])
    fractions = dict(
        built.query(
            "select subject_id, vote_fraction from vote_counts where schema_name = $schema "
            "and question = $question and answer = $answer and total_votes >= $least",
            {"schema": SCHEMA, "question": QUESTION, "answer": ANSWER, "least": min_votes},
        )
    )
    shown = dict(zip(sky["subject_id"], sky["vote_fraction"], strict=True))
    assert {k: v for k, v in shown.items() if v is not None} == fractions
    assert 0 < len(fractions) < len(shown)  # the filter leaves some out, and keeps some


def test_the_subject_browser_sorts_pages_and_downloads_its_selection(built):
    whole = list(csv.DictReader(io.StringIO(_text(f"{built.url}/api/browse.csv?{SELECTION}"))))
    expected = built.query(
        "select subject_id, vote_fraction from vote_counts where schema_name = $schema "
        "and question = $question and answer = $answer and total_votes >= 1 "
        "order by vote_fraction desc, total_votes desc, subject_id",
        {"schema": SCHEMA, "question": QUESTION, "answer": ANSWER},
    )
    assert [int(r["subject_id"]) for r in whole] == [r[0] for r in expected]
    first = _get(f"{built.url}/api/browse?{SELECTION}&limit=10")
    second = _get(f"{built.url}/api/browse?{SELECTION}&limit=10&offset=10")
    assert first["matching"] == len(expected)
    paged = [s["subject_id"] for s in first["subjects"] + second["subjects"]]
    assert paged == [r[0] for r in expected[:20]]

    by_lower = _get(f"{built.url}/api/browse?{SELECTION}&sort=lower&order=asc&min_votes=10")
    lower = [s["vote_fraction_lower"] for s in by_lower["subjects"]]
    assert lower == sorted(lower) and all(s["total_votes"] >= 10 for s in by_lower["subjects"])


def test_the_subject_page_data_and_errors(built):
    subject_id, iauname, classifications = built.query(
        "select subject_id, iauname, classification_count from subjects "
        "where iauname is not null order by classification_count desc, subject_id limit 1"
    )[0]
    subject = _get(f"{built.url}/api/subject/{subject_id}")
    assert subject["iauname"] == iauname
    assert subject["image_url"] == f"{built.api.root}/subject_images/{subject_id}.png"
    assert subject["talk_url"] == (
        f"https://www.zooniverse.org/projects/zookeeper/galaxy-zoo/talk/subjects/{subject_id}"
    )
    assert sum(day["classifications"] for day in subject["activity"]) == classifications
    votes = built.query(
        "select count(*) from vote_counts where subject_id = $id", {"id": subject_id}
    )
    assert len(subject["votes"]) == votes[0][0]
    assert all(v["question_text"] and v["answer_text"] for v in subject["votes"])
    found = _get(f"{built.url}/api/subjects?search={iauname[:8]}")
    assert subject_id in [s["subject_id"] for s in found]
    for missing in ("/api/subject/1", "/api/nothing", "/static/nothing.js"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{built.url}{missing}", timeout=30)
        assert error.value.code == 404


# ---- the pages in headless Chromium ----------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        missing = "headless Chromium is not installed (Debian: apt-get install chromium)"
        if os.environ.get("CI"):  # .ci/run installs it: the browser tests must run there
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        yield browser
        browser.close()


@dataclass
class Opened:
    page: Any
    errors: list[str]


@pytest.fixture
def open_page(browser, built):
    """Open a dashboard path and wait until its script says it is drawn; collect every console
    error and uncaught exception on the way."""
    opened: list[Opened] = []

    def open_(path: str) -> Opened:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{built.url}{path}")
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        opened.append(Opened(page, errors))
        return opened[-1]

    yield open_
    for each in opened:
        each.page.close()


def _screenshot(page: Any, name: str, tmp_path: Path) -> None:
    directory = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    path = directory / f"dashboard-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_overview_page(built, open_page, tmp_path):
    shown = open_page("/")
    page = shown.page
    assert page.inner_text("#project-name") == "Galaxy Zoo"
    assert page.title().endswith("Galaxy Zoo")
    row = page.inner_text("#workflows")
    assert "DECaLS DR5" in row and f"retire at {sample.RETIREMENT_COUNT} classifications" in row
    # every chart is drawn by plotly, none is empty
    for chart in ("activity", "volunteer-activity", "volunteers", "retirement", "fractions",
                  "accounting", "replay"):  # fmt: skip
        assert page.locator(f"#{chart}-chart .main-svg").count() > 0, chart
        assert page.locator(f"#{chart}-chart .annotation-text").count() == 0, chart
    assert page.locator("#fractions-chart .bars .point").count() >= 3 * 10
    rules = built.query("select count(*) from retirement_replay_summary")[0][0]
    assert page.locator("#replay-table tr").count() == rules + 1
    assert shown.errors == []
    _screenshot(page, "overview", tmp_path)


def test_the_sky_map_has_one_mark_per_subject_and_opens_a_subject(built, open_page, tmp_path):
    shown = open_page(f"/sky?{SELECTION}&min_votes=12")
    page = shown.page
    located = built.query("select count(*) from subjects where ra is not null")[0][0]
    marks = page.locator("#sky-chart .scatterlayer .trace .points path.point")
    assert marks.count() == located
    assert shown.errors == []
    _screenshot(page, "sky", tmp_path)

    colored = page.evaluate(
        "() => document.getElementById('sky-chart').data.at(-1).customdata.map((d) => d[0])"
    )
    subject_id = colored[0]
    index = page.evaluate(
        "(id) => document.getElementById('sky-chart').data.at(-1).customdata"
        ".findIndex((d) => d[0] === id)",
        subject_id,
    )
    point = page.locator("#sky-chart .scatterlayer .trace").last.locator("path.point").nth(index)
    with page.expect_navigation():
        point.click(force=True)
    page.wait_for_selector("body[data-ready=true]")
    assert page.url.endswith(f"/subject/{subject_id}")


def test_the_browser_grid_shows_thumbnails_and_downloads_csv(built, open_page, tmp_path):
    shown = open_page(f"/browse?{SELECTION}&min_votes=10&sort=lower")
    page = shown.page
    matching = built.query(
        "select count(*) from vote_counts where schema_name = $schema and question = $question "
        "and answer = $answer and total_votes >= 10",
        {"schema": SCHEMA, "question": QUESTION, "answer": ANSWER},
    )[0][0]
    cards = page.locator("#browse-grid a.thumb")
    assert cards.count() == min(matching, 60) > 0
    page.wait_for_function(
        "() => [...document.querySelectorAll('#browse-grid img')]"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    assert page.locator("#browse-grid img").count() == cards.count()  # every image loaded
    with page.expect_download() as download:
        page.click("#browse-csv")
    rows = list(csv.DictReader(open(download.value.path(), encoding="utf-8")))  # noqa: SIM115
    assert len(rows) == matching
    lower = [float(r["vote_fraction_lower"]) for r in rows]
    assert lower == sorted(lower, reverse=True)
    first_card = cards.first.get_attribute("data-subject-id")
    assert first_card == rows[0]["subject_id"]
    assert shown.errors == []
    _screenshot(page, "browse", tmp_path)


def test_the_subject_page_shows_the_image_and_the_questions_along_the_tree(
    built, open_page, tmp_path
):
    subject_id, iauname = built.query(
        "select subject_id, iauname from subjects where iauname is not null "
        "order by classification_count desc, subject_id limit 1"
    )[0]
    shown = open_page(f"/subject/{subject_id}")
    page = shown.page
    assert page.evaluate("() => document.getElementById('subject-image').naturalWidth") > 0
    assert iauname in page.inner_text("#subject-head")
    reached = built.query(
        "select count(distinct question) from vote_counts where subject_id = $id "
        "and total_votes > 0",
        {"id": subject_id},
    )[0][0]
    assert page.locator(".question").count() == reached
    assert "Is the galaxy simply smooth and rounded" in page.inner_text("#subject-questions")
    assert page.locator(".question .tag").count() >= 1  # the leading path
    talk = page.get_attribute("#talk-link", "href")
    assert talk.endswith(f"/projects/zookeeper/galaxy-zoo/talk/subjects/{subject_id}")
    assert page.locator("#subject-activity-chart .scatterlayer .trace").count() == 1
    assert shown.errors == []
    _screenshot(page, "subject", tmp_path)


def test_an_unknown_subject_says_so_without_a_script_error(open_page):
    shown = open_page("/subject/1")
    assert "No subject 1" in shown.page.inner_text("#missing-text")
    # the page itself fetched a 404 on purpose: that is the only console error
    assert all("404" in error for error in shown.errors), shown.errors


def test_hostile_names_and_addresses_are_shown_as_text_never_run(built, browser, tmp_path):
    """A subject whose record came from a hostile API: markup in its name, a `javascript:`
    address as its image. The pages show the name as text and make no link or image of it."""
    marts = tmp_path / "marts"
    shutil.copytree(built.data_dir / "marts", marts)  # parquet only: read without marts.duckdb
    shutil.rmtree(marts / "subjects")  # replaced by one file: a mart may be either
    subject_id = built.query("select min(subject_id) from subjects")[0][0]
    hostile_name = '<img src=x onerror="window.ran=1">J000000'
    with duckdb.connect() as con:
        con.execute(
            "copy (select * replace ("
            "  case when subject_id = $id then $name else iauname end as iauname,"
            "  case when subject_id = $id then 'javascript:window.ran=1' else image_url end"
            "  as image_url)"
            f" from read_parquet('{built.data_dir / 'marts' / 'subjects' / '*.parquet'}'))"
            f" to '{marts / 'subjects.parquet'}' (format parquet)",
            {"id": subject_id, "name": hostile_name},
        )
    server = serve(Marts(marts), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        url = f"http://127.0.0.1:{server.server_address[1]}"
        for path in (f"/subject/{subject_id}", f"/browse?{SELECTION}&order=asc", "/sky"):
            page.goto(f"{url}{path}")
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)
            assert page.evaluate("() => window.ran") is None, path
            assert page.locator("a[href^='javascript'], img[src^='javascript']").count() == 0
        page.goto(f"{url}/subject/{subject_id}")
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        assert hostile_name in page.inner_text("#subject-head")  # as text
        assert dialogs == []
        page.close()
    finally:
        server.shutdown()
        server.server_close()
