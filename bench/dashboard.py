"""How fast the dashboard answers on a built data directory: each JSON endpoint (median of a few
requests, and the size of its answer), then each page in headless Chromium until it says it is
drawn. Prints a table.

    python bench/dashboard.py --data-dir bench-data/<n>/data   # e.g. after bench/scale.py

The endpoints are asked for the first schema's first question and answer, and for the most
classified subject; the server runs in this process, as `gz-warehouse dashboard` does.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import orjson

from warehouse.dashboard import Marts, serve


def fetch(url: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = response.read()
    return time.perf_counter() - started, len(body), body


def timed(url: str, repeats: int) -> tuple[float, int]:
    runs = [fetch(url) for _ in range(repeats)]
    return statistics.median(run[0] for run in runs), runs[0][1]


def page_seconds(base: str, paths: list[str]) -> dict[str, float]:
    """Seconds from navigation to the page's `data-ready`, per path (empty without Chromium)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return {}
    from playwright.sync_api import sync_playwright

    seconds = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        for path in paths:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            started = time.perf_counter()
            page.goto(f"{base}{path}")
            page.wait_for_selector("body[data-ready=true]", timeout=600_000)
            seconds[path] = time.perf_counter() - started
            page.close()
        browser.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    server = serve(Marts(args.data_dir / "marts"), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    summary = orjson.loads(fetch(f"{base}/api/summary")[2])
    schema = summary["schemas"][0]
    first = orjson.loads(fetch(f"{base}/api/questions?{urlencode({'schema': schema})}")[2])[0]
    selection = urlencode(
        {"schema": schema, "question": first["question"], "answer": first["answers"][0]}
    )
    top = orjson.loads(fetch(f"{base}/api/subjects?search=")[2])[0]["subject_id"]
    endpoints = [
        "/api/summary",
        "/api/activity?bucket=day",
        "/api/volunteer-activity",
        "/api/volunteers",
        "/api/retirement",
        "/api/accounting",
        "/api/retirement-replay",
        f"/api/fractions?{urlencode({'schema': schema, 'question': first['question']})}",
        f"/api/sky?{selection}&min_votes=10",
        f"/api/browse?{selection}&min_votes=10&sort=lower",
        f"/api/browse.csv?{selection}",
        f"/api/subject/{top}",
    ]
    print(f"{summary['subjects']:,} subjects, {summary['classifications']:,} classifications")
    print(f"{'endpoint':<48} {'median s':>9} {'bytes':>12}")
    for endpoint in endpoints:
        seconds, size = timed(f"{base}{endpoint}", args.repeats)
        print(f"{endpoint.split('?')[0]:<48} {seconds:>9.3f} {size:>12,}")
    pages = ["/", f"/sky?{selection}&min_votes=10", f"/browse?{selection}", f"/subject/{top}"]
    for path, seconds in page_seconds(base, pages).items():
        print(f"{'page ' + path.split('?')[0]:<48} {seconds:>9.3f}")
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
