"""The dashboard's queries over the published marts (``warehouse/sql/dashboard_*.sql``).

Each call opens its own in-memory DuckDB and attaches the serving database ``marts.duckdb``
beside ``marts/`` (views over frozen copies of the published files, see
:mod:`warehouse.serving`), so every query reads whole files of one build, and the next call sees
the next build. Without it (a warehouse published before it existed) the parquet files are read
directly. A mart that is not published yet (a first build still running) gives empty results,
not an error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb

from ingest.queries import query
from warehouse.published import mart_files
from warehouse.serving import SERVING_DB

FRACTION_BINS = 20
# periods shown by default per activity bucket; 0 means the whole history
ACTIVITY_WINDOWS = {"hour": 7 * 24, "day": 90, "month": 0}
MAX_PERIODS = 10_000
BROWSE_PAGE = 60
MAX_BROWSE_PAGE = 500
TALK_URL = "https://www.zooniverse.org/projects/{slug}/talk/subjects/{subject_id}"


@dataclass(frozen=True)
class Selection:
    """One answer of one question, and the subjects it is looked at for: those with at least
    ``min_votes`` votes on the question."""

    schema: str
    question: str
    answer: str
    min_votes: int = 0


@dataclass(frozen=True)
class Browsed:
    """A page of the subject browser: its columns and rows, and how many subjects match."""

    columns: list[str]
    rows: list[tuple]
    matching: int


class Marts:
    """Queries over the marts published in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _relation_rows(self, name: str, params: dict[str, Any] | None, **marts: str) -> tuple:
        with duckdb.connect() as con:
            if not self._read_marts(con, marts):
                return [], []
            relation = con.sql(query("warehouse", name), params=params)
            return relation.columns, relation.fetchall()

    def _read_marts(self, con: duckdb.DuckDBPyConnection, marts: dict[str, str]) -> bool:
        """Make each mart readable under the name it is given; False when one is missing."""
        serving = self.directory.parent / SERVING_DB
        if serving.is_file():
            con.execute(query("warehouse", "dashboard_attach"), {"path": str(serving)})
            listed = con.execute(query("warehouse", "dashboard_views")).fetchall()
            views = {row[0] for row in listed}
            if not set(marts.values()) <= views:
                return False
            for key, mart in marts.items():
                con.table(f"published.main.{mart}").create_view(key)
            return True
        published = mart_files(self.directory)
        if not all(mart in published for mart in marts.values()):
            return False
        for key, mart in marts.items():
            con.read_parquet([str(path) for path in published[mart]]).create_view(key)
        return True

    def _rows(self, name: str, params: dict[str, Any] | None = None, **marts: str) -> list[dict]:
        """The rows of query ``warehouse/sql/<name>.sql`` over the given marts, each read under
        the name it is given here; none when a mart is not published yet."""
        columns, rows = self._relation_rows(name, params, **marts)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def _columns(self, name: str, params: dict[str, Any] | None = None, **marts: str) -> dict:
        """The same rows column by column (``{"ra": [...], "dec": [...]}``), the compact shape
        a chart of many points reads."""
        columns, rows = self._relation_rows(name, params, **marts)
        return {column: [row[i] for row in rows] for i, column in enumerate(columns)}

    def summary(self) -> dict[str, Any]:
        """The project, its workflows with their retirement, and the totals."""
        published = mart_files(self.directory)
        files = [path for paths in published.values() for path in paths]
        workflows = self._rows("dashboard_workflows", workflows="workflows")
        totals = self._rows("dashboard_totals", subjects="subjects")
        volunteers = self._rows("dashboard_volunteer_count", volunteers="volunteers")
        named = next((w for w in workflows if w["project_name"]), None)
        project_ids = sorted({w["project_id"] for w in workflows if w["project_id"] is not None})
        return {
            "project_name": named["project_name"] if named else None,
            "project_slug": named["project_slug"] if named else None,
            "project_ids": project_ids,
            "workflows": workflows,
            "marts": sorted(published),
            "published_at": _iso(max(p.stat().st_mtime for p in files)) if files else None,
            "schemas": [r["schema_name"] for r in self.schemas()],
            "volunteers": volunteers[0]["volunteers"] if volunteers else None,
            **(totals[0] if totals else {"subjects": 0, "classifications": 0}),
        }

    def schemas(self) -> list[dict]:
        return self._rows("dashboard_schemas", vote_counts="vote_counts")

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

    def volunteer_activity(self) -> list[dict]:
        """Per workflow and day: classifications, active and new volunteers."""
        return self._rows("dashboard_volunteer_activity", activity="volunteer_activity")

    def volunteer_histogram(self) -> list[dict]:
        """Volunteers by their number of classifications, in doubling bins (1, 2-3, 4-7 ...)."""
        return self._rows("dashboard_volunteer_histogram", volunteers="volunteers")

    def retirement(self) -> list[dict]:
        """Per workflow, subjects by their number of classifications of it, and how many of
        them are retired (Panoptes' statuses, else the workflow's own rule)."""
        return self._rows(
            "dashboard_retirement",
            activity="subject_activity",
            workflows="workflows",
            subjects="subjects",
        )

    def retirement_replay(self) -> list[dict]:
        """Per retirement rule of the seed ``retirement_rules``, replayed over the history: the
        subjects it retires, the classifications it saves and how far fractions moved after."""
        return self._rows(
            "dashboard_retirement_replay", retirement_replay_summary="retirement_replay_summary"
        )

    def accounting(self) -> list[dict]:
        """What became of every landed annotation, per schema and outcome (vote_accounting)."""
        return self._rows("dashboard_accounting", vote_accounting="vote_accounting")

    def questions(self, schema: str) -> list[dict]:
        """The questions of ``schema`` in order, with their answers and texts."""
        rows = self._rows(
            "dashboard_questions",
            {"schema": schema},
            vote_counts="vote_counts",
            schema_questions="schema_questions",
        )
        questions: dict[str, dict[str, Any]] = {}
        for row in rows:
            entry = questions.setdefault(
                row["question"],
                {
                    "question": row["question"],
                    "question_text": row["question_text"],
                    "answers": [],
                    "answer_texts": [],
                },
            )
            entry["answers"].append(row["answer"])
            entry["answer_texts"].append(row["answer_text"])
        return list(questions.values())

    def fraction_histogram(self, schema: str, question: str) -> list[dict]:
        """Per answer, how many subjects have a vote fraction in each twentieth of [0, 1]."""
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

    def sky(self, selection: Selection) -> dict[str, list]:
        """Every subject with coordinates, and its vote fraction for the selected answer (null
        when it has fewer than ``min_votes`` votes on the question, or none)."""
        return self._columns(
            "dashboard_sky", asdict(selection), subjects="subjects", vote_counts="vote_counts"
        )

    def browse(
        self,
        selection: Selection,
        by_lower_bound: bool = False,
        ascending: bool = False,
        limit: int | None = BROWSE_PAGE,
        offset: int = 0,
    ) -> Browsed:
        """The subjects with at least ``min_votes`` (and one) votes on the question, sorted by
        the answer's vote fraction or the lower bound of its interval."""
        params = asdict(selection) | {
            "by_lower_bound": by_lower_bound,
            "ascending": ascending,
            "limit": limit,
            "offset": offset,
        }
        columns, rows = self._relation_rows(
            "dashboard_browse", params, subjects="subjects", vote_counts="vote_counts"
        )
        if not columns:
            return Browsed([], [], 0)
        at = columns.index("matching")  # the same on every row
        matching = rows[0][at] if rows else 0
        kept = [i for i in range(len(columns)) if i != at]
        return Browsed(
            [columns[i] for i in kept], [tuple(row[i] for i in kept) for row in rows], matching
        )

    def subjects(self, search: str, limit: int = 20) -> list[dict]:
        return self._rows(
            "dashboard_subject_search",
            {"pattern": f"%{search.strip()}%", "limit": limit},
            subjects="subjects",
        )

    def subject(self, subject_id: int) -> dict[str, Any] | None:
        """A subject's record, its votes question by question with the words of the workflow,
        its classifications per day and workflow, and its Talk page when the project's slug
        has landed."""
        params = {"subject_id": subject_id}
        found = self._rows("dashboard_subject", params, subjects="subjects")
        if not found:
            return None
        votes = self._rows(
            "dashboard_subject_votes",
            params,
            vote_counts="vote_counts",
            schema_questions="schema_questions",
        )
        activity = self._rows("dashboard_subject_activity", params, activity="subject_activity")
        workflows = self._rows("dashboard_workflows", workflows="workflows")
        slug = next((w["project_slug"] for w in workflows if w["project_slug"]), None)
        talk = TALK_URL.format(slug=quote(slug), subject_id=subject_id) if slug else None
        return {**found[0], "votes": votes, "activity": activity, "talk_url": talk}


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
