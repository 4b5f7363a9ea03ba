"""``ingest dashboard``: a small live dashboard over the parquet marts. Works offline.

It reads only ``$WAREHOUSE_DATA_DIR/marts/*.parquet`` (published after every ``dbt build``), so
it never holds the warehouse file and never blocks a build. The page (``dashboard.html``, one
file, no outside assets) asks this server for JSON and draws its charts as SVG; it refreshes
itself every minute.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import orjson

from ingest.queries import query

log = logging.getLogger(__name__)

FRACTION_BINS = 10
# periods shown by default per activity bucket; 0 means the whole history
ACTIVITY_WINDOWS = {"hour": 7 * 24, "day": 90, "month": 0}
MAX_PERIODS = 10_000


class Marts:
    """Queries over the published marts; each call opens its own in-memory DuckDB."""

    def __init__(self, directory: Path, retirement_count: int) -> None:
        """``retirement_count`` estimates retirement (subjects with at least that many
        classifications) only while no Panoptes subject workflow status has landed."""
        self.directory = directory
        self.retirement_count = retirement_count

    def _path(self, name: str) -> str | None:
        path = self.directory / f"{name}.parquet"
        return str(path) if path.is_file() else None

    def _rows(self, name: str, params: dict[str, Any] | None = None, **marts: str) -> list[dict]:
        """The rows of query ``warehouse/sql/<name>.sql`` over the given marts, each read under
        the name it is given here; none when a mart is not published yet."""
        paths = {key: self._path(mart) for key, mart in marts.items()}
        if None in paths.values():
            return []
        with duckdb.connect() as con:
            for key, path in paths.items():
                con.read_parquet(path).create_view(key)
            relation = con.sql(query("warehouse", name), params=params)
            columns = relation.columns
            return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]

    def summary(self) -> dict[str, Any]:
        marts = sorted(p.stem for p in self.directory.glob("*.parquet"))
        published = [p.stat().st_mtime for p in self.directory.glob("*.parquet")]
        totals = self._rows(
            "dashboard_totals", {"retirement_count": self.retirement_count}, subjects="subjects"
        )
        schemas = self._rows("dashboard_schemas", vote_counts="vote_counts")
        return {
            "marts": marts,
            "published_at": _iso(max(published)) if published else None,
            "retirement_count": self.retirement_count,
            "schemas": [row["schema_name"] for row in schemas],
            **(totals[0] if totals else _NO_TOTALS),
        }

    def activity(self, bucket: str, periods: int | None = None) -> list[dict]:
        """Classifications per workflow and hour, day or month: the last ``periods`` of them up
        to the latest (default: a week of hours, 90 days, every month), zero-filled."""
        unit = bucket if bucket in ACTIVITY_WINDOWS else "hour"
        periods = ACTIVITY_WINDOWS[unit] if periods is None else periods
        return self._rows(
            "dashboard_activity",
            {"unit": unit, "periods": periods},
            activity="classification_activity",
        )

    def retirement(self) -> list[dict]:
        """How many subjects have each number of classifications (capped at twice the limit),
        and how many of them are retired (Panoptes' statuses, else the estimate)."""
        return self._rows(
            "dashboard_retirement", {"retirement_count": self.retirement_count}, subjects="subjects"
        )

    def retirement_replay(self) -> list[dict]:
        """Per retirement rule of the seed ``retirement_rules``, replayed over the history: the
        subjects it retires, the classifications it saves and how far fractions moved after."""
        return self._rows(
            "dashboard_retirement_replay", retirement_replay_summary="retirement_replay_summary"
        )

    def questions(self, schema: str) -> list[dict]:
        return self._rows("dashboard_questions", {"schema": schema}, vote_counts="vote_counts")

    def fraction_histogram(self, schema: str, question: str) -> list[dict]:
        """Per answer, how many subjects have a vote fraction in each tenth of [0, 1]."""
        rows = self._rows(
            "dashboard_fraction_histogram",
            {"schema": schema, "question": question, "bins": FRACTION_BINS},
            vote_counts="vote_counts",
        )
        answers: dict[str, dict[str, Any]] = {}
        for row in sorted(rows, key=lambda r: r["answer_order"]):
            entry = answers.setdefault(
                row["answer"], {"answer": row["answer"], "counts": [0] * FRACTION_BINS}
            )
            entry["counts"][row["bin"]] = row["subjects"]
        return list(answers.values())

    def subjects(self, search: str, limit: int = 20) -> list[dict]:
        return self._rows(
            "dashboard_subject_search",
            {"pattern": f"%{search.strip()}%", "limit": limit},
            subjects="subjects",
        )

    def subject(self, subject_id: int) -> dict[str, Any] | None:
        params = {"subject_id": subject_id}
        found = self._rows("dashboard_subject", params, subjects="subjects")
        if not found:
            return None
        votes = self._rows("dashboard_subject_votes", params, vote_counts="vote_counts")
        return {**found[0], "votes": votes}


_NO_TOTALS = {"subjects": 0, "classifications": 0, "retirement_from_panoptes": False, "retired": 0}


def serve(marts: Marts, host: str = "127.0.0.1", port: int = 8050) -> ThreadingHTTPServer:
    """A started server (call ``serve_forever`` on it); port 0 picks a free one."""
    page = (resources.files("warehouse") / "dashboard.html").read_bytes()
    routes: dict[str, Callable[[dict[str, str]], Any]] = {
        "/api/summary": lambda q: marts.summary(),
        "/api/activity": lambda q: marts.activity(
            q.get("bucket", "hour"), _bounded_int(q.get("periods"), MAX_PERIODS)
        ),
        "/api/retirement": lambda q: marts.retirement(),
        "/api/retirement-replay": lambda q: marts.retirement_replay(),
        "/api/questions": lambda q: marts.questions(q.get("schema", "")),
        "/api/fractions": lambda q: marts.fraction_histogram(
            q.get("schema", ""), q.get("question", "")
        ),
        "/api/subjects": lambda q: marts.subjects(q.get("search", "")),
    }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            log.debug(format, *args)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            try:
                if parts.path == "/" or parts.path.startswith("/subject/"):
                    self._send(200, page, "text/html; charset=utf-8")
                elif parts.path in routes:
                    self._json(routes[parts.path](query))
                elif match := re.fullmatch(r"/api/subject/(\d{1,18})", parts.path):
                    subject = marts.subject(int(match.group(1)))
                    self._json(subject) if subject else self._send(
                        404, b'{"error":"no such subject"}'
                    )
                else:
                    self._send(404, b'{"error":"not found"}')
            except duckdb.Error as exc:  # a mart being replaced or malformed: say so, go on
                self._send(503, orjson.dumps({"error": str(exc).splitlines()[0]}))

        def _json(self, value: Any) -> None:
            self._send(200, orjson.dumps(value, default=str), "application/json")

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def _bounded_int(text: str | None, largest: int) -> int | None:
    """A query parameter as 0..largest, or None when absent or not a number."""
    return min(int(text), largest) if text and text.isdigit() else None


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
