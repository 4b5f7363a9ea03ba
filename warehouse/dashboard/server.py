"""The dashboard's HTTP server: its pages, its JSON API and a CSV download, on the standard
library's threading server (one request never waits for another)."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import orjson
import plotly

from warehouse.dashboard.marts import (
    BROWSE_PAGE,
    MAX_BROWSE_PAGE,
    MAX_PERIODS,
    Browsed,
    Marts,
    Selection,
)

log = logging.getLogger(__name__)

PAGES = ("/", "/sky", "/browse")
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
Query = dict[str, str]


def static_file(name: str) -> bytes:
    return (resources.files("warehouse.dashboard") / "static" / name).read_bytes()


def selection(q: Query) -> Selection:
    return Selection(
        schema=q.get("schema", ""),
        question=q.get("question", ""),
        answer=q.get("answer", ""),
        min_votes=bounded_int(q.get("min_votes"), 1_000_000) or 0,
    )


def browsed(marts: Marts, q: Query, limit: int | None, offset: int = 0) -> Browsed:
    """The subject browser's selection, sort and order as the query parameters give them."""
    return marts.browse(
        selection(q),
        by_lower_bound=q.get("sort") == "lower",
        ascending=q.get("order") == "asc",
        limit=limit,
        offset=offset,
    )


def browse_json(marts: Marts, q: Query) -> dict[str, Any]:
    limit = bounded_int(q.get("limit"), MAX_BROWSE_PAGE) or BROWSE_PAGE
    page = browsed(marts, q, limit, bounded_int(q.get("offset"), 10**9) or 0)
    records = [dict(zip(page.columns, row, strict=True)) for row in page.rows]
    return {"matching": page.matching, "subjects": records}


def browse_csv(marts: Marts, q: Query) -> bytes:
    """Every matching subject, in the order of the page, as CSV."""
    page = browsed(marts, q, limit=None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(page.columns)
    writer.writerows(page.rows)
    return out.getvalue().encode()


def routes(marts: Marts) -> dict[str, Callable[[Query], Any]]:
    """The JSON API: path to a function of the query parameters."""
    return {
        "/api/summary": lambda q: marts.summary(),
        "/api/activity": lambda q: marts.activity(
            q.get("bucket", "hour"), bounded_int(q.get("periods"), MAX_PERIODS)
        ),
        "/api/volunteer-activity": lambda q: marts.volunteer_activity(),
        "/api/volunteers": lambda q: marts.volunteer_histogram(),
        "/api/retirement": lambda q: marts.retirement(),
        "/api/retirement-replay": lambda q: marts.retirement_replay(),
        "/api/accounting": lambda q: marts.accounting(),
        "/api/questions": lambda q: marts.questions(q.get("schema", "")),
        "/api/fractions": lambda q: marts.fraction_histogram(
            q.get("schema", ""), q.get("question", "")
        ),
        "/api/sky": lambda q: marts.sky(selection(q)),
        "/api/browse": lambda q: browse_json(marts, q),
        "/api/subjects": lambda q: marts.subjects(q.get("search", "")),
    }


def serve(marts: Marts, host: str = "127.0.0.1", port: int = 8050) -> ThreadingHTTPServer:
    """A started server (call ``serve_forever`` on it); port 0 picks a free one."""
    api = routes(marts)
    page = static_file("index.html")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            try:
                if path in PAGES or re.fullmatch(r"/subject/\d{1,18}", path):
                    self._send(200, page, STATIC_TYPES[".html"])
                elif path in api:
                    self._json(api[path](q))
                elif path == "/api/browse.csv":
                    self._send(200, browse_csv(marts, q), "text/csv; charset=utf-8", csv_name(q))
                elif match := re.fullmatch(r"/api/subject/(\d{1,18})", path):
                    subject = marts.subject(int(match.group(1)))
                    self._json(subject) if subject else self._error(404, "no such subject")
                elif path == "/static/plotly.min.js":
                    self._send(200, PLOTLY_JS.read_bytes(), STATIC_TYPES[".js"], cache=True)
                elif match := re.fullmatch(r"/static/(app\.(?:js|css))", path):
                    name = match.group(1)
                    self._send(200, static_file(name), STATIC_TYPES[Path(name).suffix])
                else:
                    self._error(404, "not found")
            except duckdb.Error as exc:  # a mart being replaced or malformed: say so, go on
                self._error(503, str(exc).splitlines()[0])

        def _json(self, value: Any) -> None:
            self._send(200, orjson.dumps(value, default=str), "application/json")

        def _error(self, status: int, message: str) -> None:
            self._send(status, orjson.dumps({"error": message}), "application/json")

        def _send(
            self,
            status: int,
            body: bytes,
            kind: str,
            download: str | None = None,
            cache: bool = False,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=86400" if cache else "no-store")
            if download:
                self.send_header("Content-Disposition", f'attachment; filename="{download}"')
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def csv_name(q: Query) -> str:
    """A file name for a selection, from its names reduced to safe characters."""
    parts = [q.get("schema", ""), q.get("question", ""), q.get("answer", "")]
    safe = "_".join(re.sub(r"[^A-Za-z0-9_-]+", "-", part) for part in parts if part)
    return f"{safe or 'subjects'}.csv"


def bounded_int(text: str | None, largest: int) -> int | None:
    """A query parameter as 0..largest, or None when absent or not a number."""
    return min(int(text), largest) if text and text.isdigit() else None
