"""The activity marts (volunteer_activity, volunteers, subject_activity) end to end.

A sample of two workflows lands in two passes from the stand-in. Some volunteers' earliest
classification of a workflow is held back in the first pass (a transaction that commits late)
and lands in the second, moving their first day in the workflow earlier. After each build every
mart is compared with an independent recount in Python from the landed classifications, and the
incremental build with a --full-refresh build of the same landing. Three dbt builds, each of
the activity marts and what they read only.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import landed, run_dbt, run_ingest, standin_server

from standin import sample
from standin.server import StandInData

pytestmark = pytest.mark.dbt

MARTS = ("volunteer_activity", "volunteers", "subject_activity")
# the marts, what they read and their tests (not the tests of what they read that read more)
SELECT = (
    "--select", *(f"+{mart}" for mart in MARTS), "classification_activity",
    "--indirect-selection", "cautious",
)  # fmt: skip
FIRST_PASS = 700
HELD_BACK = 12
# the second pass re-reads the whole sample's time line (about two years), so that the
# classifications held back in the first are found below the watermark
LOOKBACK_MINUTES = "2000000"


@dataclass
class Recount:
    """The three marts recounted from landed classifications, keyed as each mart is."""

    volunteer_activity: dict[tuple[int, date], tuple[int, int, int, int]]
    volunteers: dict[int, tuple[int, int, int, datetime, datetime]]
    subject_activity: dict[tuple[int, int, date], int]
    first_days: dict[tuple[int, int], date]


def recount(rows: list[dict[str, Any]]) -> Recount:
    """Classifications with at least one annotation, each id once, counted per key."""
    classifications: dict[int, dict[str, Any]] = {}
    for row in rows:
        if json.loads(row["annotations"]):
            classifications.setdefault(row["classification_id"], row)
    ids: dict[tuple[int, date], set[int]] = defaultdict(set)
    anonymous: dict[tuple[int, date], set[int]] = defaultdict(set)
    day_volunteers: dict[tuple[int, date], set[int]] = defaultdict(set)
    first_days: dict[tuple[int, int], date] = {}
    per_user: dict[int, list[dict[str, Any]]] = defaultdict(list)
    subject_days: dict[tuple[int, int, date], int] = defaultdict(int)
    for cid, row in classifications.items():
        workflow, user, day = row["workflow_id"], row["user_id"], row["created_at"].date()
        ids[workflow, day].add(cid)
        subject_days[row["subject_ids"][0], workflow, day] += 1
        if user is None:
            anonymous[workflow, day].add(cid)
            continue
        day_volunteers[workflow, day].add(user)
        first_days[workflow, user] = min(first_days.get((workflow, user), day), day)
        per_user[user].append(row)
    new_volunteers: dict[tuple[int, date], int] = defaultdict(int)
    for (workflow, _), day in first_days.items():
        new_volunteers[workflow, day] += 1
    activity = {
        key: (
            len(ids[key]),
            len(day_volunteers[key]),
            new_volunteers[key],
            len(anonymous[key]),
        )
        for key in ids
    }
    volunteers = {
        user: (
            len(made),
            len({row["subject_ids"][0] for row in made}),
            len({row["created_at"].date() for row in made}),
            min(row["created_at"] for row in made),
            max(row["created_at"] for row in made),
        )
        for user, made in per_user.items()
    }
    return Recount(activity, volunteers, dict(subject_days), first_days)


def marts_in(database: Path) -> Recount:
    """The three marts as built, keyed as the recount."""
    with duckdb.connect(str(database), read_only=True) as con:
        activity = con.execute(
            "select workflow_id, classified_on, classifications, volunteers, new_volunteers, "
            "anonymous_classifications from volunteer_activity"
        ).fetchall()
        volunteers = con.execute(
            "select user_id, classifications, subjects, active_days, first_classified_at, "
            "last_classified_at from volunteers"
        ).fetchall()
        subjects = con.execute(
            "select subject_id, workflow_id, classified_on, classifications from subject_activity"
        ).fetchall()
    return Recount(
        {tuple(row[:2]): tuple(row[2:]) for row in activity},
        {row[0]: tuple(row[1:]) for row in volunteers},
        {tuple(row[:3]): row[3] for row in subjects},
        {},
    )


def assert_recounted(database: Path, expected: Recount) -> None:
    built = marts_in(database)
    assert built.volunteer_activity == expected.volunteer_activity
    assert built.volunteers == expected.volunteers
    assert built.subject_activity == expected.subject_activity


def first_classifications_to_hold_back(generated: sample.Sample) -> list[int]:
    """Ids of volunteers' earliest classification of a workflow, among the first pass, where
    their next one in the workflow (also in the first pass) was made on a later day."""
    first_pass = sorted(int(c["id"]) for c in generated.classifications)[:FIRST_PASS]
    made: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for c in generated.classifications:
        user = c["links"].get("user")
        if user is not None and int(c["id"]) <= first_pass[-1] and c["annotations"]:
            made[c["links"]["workflow"], user].append((c["created_at"], int(c["id"])))
    held = [
        first[1]
        for first, second, *_ in (sorted(times) for times in made.values() if len(times) > 1)
        if first[0][:10] < second[0][:10]
    ]
    return sorted(held)[:HELD_BACK]


@pytest.fixture(scope="module")
def builds(tmp_path_factory, two_workflow_sample) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("activity")
    data_dir, database = root / "data", root / "incremental.duckdb"
    held = first_classifications_to_hold_back(two_workflow_sample)
    assert len(held) == HELD_BACK
    data = StandInData.from_sample(two_workflow_sample)
    with standin_server(data) as api:
        data.publish(FIRST_PASS)
        data.hide(held)
        assert run_ingest(api, data_dir).returncode == 0
        first = recount(landed(data_dir))
        run_dbt(data_dir, database, *SELECT)
        first_built = marts_in(database)
        data.reveal()
        data.publish_all()
        assert run_ingest(api, data_dir, "--lookback-minutes", LOOKBACK_MINUTES).returncode == 0
    second = recount(landed(data_dir))
    run_dbt(data_dir, database, *SELECT)
    refreshed = root / "refreshed.duckdb"
    shutil.copy(database, refreshed)
    run_dbt(data_dir, refreshed, *SELECT, "--full-refresh")
    return {
        "held": held,
        "first": first,
        "first_built": first_built,
        "second": second,
        "database": database,
        "refreshed": refreshed,
        "marts": data_dir / "marts",
    }


def test_the_first_build_equals_an_independent_recount(builds):
    built, expected = builds["first_built"], builds["first"]
    assert built.volunteer_activity == expected.volunteer_activity
    assert built.volunteers == expected.volunteers
    assert built.subject_activity == expected.subject_activity
    assert len({workflow for workflow, _ in expected.volunteer_activity}) == 2


def test_late_classifications_move_first_days_and_the_incremental_build_follows(builds):
    first, second = builds["first"], builds["second"]
    moved = {
        key for key, day in first.first_days.items() if second.first_days[key] < day
    }  # fmt: skip
    assert len(moved) == len(builds["held"])
    assert_recounted(builds["database"], second)
    # every logged-in volunteer of a workflow is new on exactly one day
    for workflow in {workflow for workflow, _ in second.first_days}:
        assert sum(
            row[2] for (w, _), row in second.volunteer_activity.items() if w == workflow
        ) == sum(1 for w, _ in second.first_days if w == workflow)


def test_the_incremental_build_recounted_only_what_changed(builds):
    with duckdb.connect(str(builds["database"]), read_only=True) as con:
        for mart in MARTS:
            [(runs,)] = con.execute(f"select count(distinct _loaded_at) from {mart}").fetchall()
            assert runs == 2, mart  # rows of both builds: the second left the untouched ones


def test_incremental_marts_equal_a_full_refresh(builds):
    for mart in MARTS:
        tables = []
        for database in (builds["database"], builds["refreshed"]):
            with duckdb.connect(str(database), read_only=True) as con:
                rows = con.execute(f"select * exclude (_loaded_at) from {mart}").fetchall()
            tables.append(sorted(rows))
        assert tables[0] == tables[1], mart


def test_subject_activity_is_published_in_subject_order(builds):
    published = builds["marts"] / "subject_activity.parquet"
    with duckdb.connect() as con:
        subjects = [
            row[0]
            for row in con.execute(
                "select subject_id from read_parquet($path)", {"path": str(published)}
            ).fetchall()
        ]
    assert subjects and subjects == sorted(subjects)
