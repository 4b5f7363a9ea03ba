"""A warehouse built from the stand-in's sample, build by build, for the end-to-end tests
(tests/integration/test_warehouse.py and test_repeat_policies.py).

Each build keeps what its marts held right after it (a later incremental build writes over the
same database), and the subject records landed by then, so that every build can be checked
against the independent recounts (tests/recount.py, tests/science_recount.py)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import science_recount as science
from conftest import landed, run_dbt, vote_counts_in
from recount import counted_classifications, recount

from standin import sample

FIRST_BATCH = 2_000


# What each science mart is checked by: its key columns, then the compared ones.
SCIENCE_MARTS = {
    "volunteer_weights": (["user_id"], ["consistency", "weight", "annotations"]),
    "vote_counts": (
        ["schema_name", "subject_id", "question", "answer"],
        [
            "weighted_votes",
            "weighted_total_votes",
            "weighted_vote_fraction",
            "proportion_volunteers_asked",
        ],
    ),
    "retirement_replay": (
        ["workflow_id", "rule_name", "subject_id"],
        [
            "schema_name",
            "kind",
            "question",
            "retired",
            "retired_after_classifications",
            "retired_at",
            "classifications",
            "classifications_after_retirement",
            "leading_answer_at_retirement",
            "leading_answer_at_end",
            "fraction_change",
        ],
    ),
    "retirement_replay_summary": (
        ["workflow_id", "rule_name"],
        [
            "kind",
            "question",
            "answer",
            "threshold",
            "min_classifications",
            "subjects",
            "subjects_retired",
            "classifications",
            "classifications_saved",
            "share_saved",
            "median_fraction_change",
            "p90_fraction_change",
            "share_leading_answer_changed",
        ],
    ),
    "training_labels": (
        ["schema_name", "id_str", "question", "answer"],
        [
            "iauname",
            "ra",
            "dec",
            "file_loc",
            "subjects",
            "label",
            "total_label",
            "votes",
            "total_votes",
            "question_order",
            "answer_order",
        ],
    ),
}
# Weights and weighted sums are aggregated in parallel, in an order that differs from Python's.
TOLERANCE = 1e-9


@dataclass
class Build:
    output: str
    vote_counts: dict[tuple, tuple[int, int]]
    science: dict[str, dict[tuple, tuple]] = field(default_factory=dict)
    subject_records: dict[int, science.SubjectRecord] = field(default_factory=dict)


@dataclass
class Warehouse:
    data_dir: Path
    sample: sample.Sample
    builds: dict[str, Build] = field(default_factory=dict)


def build(warehouse: Warehouse, name: str, database: Path, *args: str) -> None:
    output = run_dbt(warehouse.data_dir, database, *args)
    warehouse.builds[name] = Build(
        output,
        vote_counts_in(database),
        science_marts_in(database),
        landed_subject_records(warehouse.data_dir),
    )


def science_marts_in(database: Path) -> dict[str, dict[tuple, tuple]]:
    """{mart: {key: compared columns}} of the science marts (SCIENCE_MARTS)."""
    found = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for mart, (key, columns) in SCIENCE_MARTS.items():
            rows = con.execute(f"select {', '.join(key + columns)} from {mart}").fetchall()
            found[mart] = {row[: len(key)]: row[len(key) :] for row in rows}
            assert len(found[mart]) == len(rows), f"{mart}: a key of more than one row"
    return found


def landed_subject_records(data_dir: Path) -> dict[int, science.SubjectRecord]:
    """Each landed subject's latest record, read from its metadata and locations."""
    latest: dict[int, dict[str, Any]] = {}
    for row in landed(data_dir, "subjects"):
        order = (row["ingested_at"], row["updated_at"] or row["ingested_at"])
        kept = latest.get(row["subject_id"])
        if kept is None or order > (kept["ingested_at"], kept["updated_at"] or kept["ingested_at"]):
            latest[row["subject_id"]] = row
    return {
        subject: science.subject_record(
            json.loads(row["metadata"] or "{}"), json.loads(row["locations"] or "null")
        )
        for subject, row in latest.items()
    }


# One volunteer in CONTRARIAN_EVERY answers each single-choice question with the answer after
# the one the subject leans to: their consistency falls below 0.6 and their weight below 1, so
# that the weighted columns differ from the raw ones and the iterations move.
CONTRARIAN_EVERY = 25


def generated_sample() -> sample.Sample:
    return with_contrarians(sample.generate(n_classifications=3_000, n_subjects=150, seed=5))


def with_contrarians(generated: sample.Sample) -> sample.Sample:
    """The sample with every CONTRARIAN_EVERY-th volunteer (by id) a contrarian."""
    users = sorted(
        {int(c["links"]["user"]) for c in generated.classifications if c["links"]["user"]}
    )
    contrarians = {str(user) for user in users[::CONTRARIAN_EVERY]}
    tasks = {
        (version["links"]["workflow"], f"{version['major_number']}.{version['minor_number']}"): (
            version["tasks"]
        )
        for version in generated.workflow_versions
    }
    for classification in generated.classifications:
        if classification["links"]["user"] not in contrarians:
            continue
        version = (
            classification["links"]["workflow"],
            classification["metadata"]["workflow_version"],
        )
        for annotation in classification["annotations"]:
            task = tasks[version].get(annotation.get("task"), {})
            value, n_answers = annotation.get("value"), len(task.get("answers") or [])
            if task.get("type") == "single" and type(value) is int and n_answers > 1:
                annotation["value"] = (value + 1) % n_answers
    return generated


def assert_recounted(warehouse: Warehouse, build_name: str, policy: str, published) -> None:
    """The build's vote_counts equal tests/recount.py's on the classifications it had."""
    classifications = warehouse.sample.classifications[:published]
    expected = recount(classifications, warehouse.sample.workflow_versions, policy)

    actual = warehouse.builds[build_name].vote_counts

    assert set(actual) == set(expected)
    mismatches = {k: (actual[k], expected[k]) for k in expected if actual[k] != expected[k]}
    assert not mismatches, list(mismatches.items())[:5]


def science_recounted(
    warehouse: Warehouse, build_name: str, policy: str, published: int | None
) -> dict[str, dict[tuple, tuple]]:
    """The science marts as tests/science_recount.py computes them from the classifications
    the build had, keyed and ordered as SCIENCE_MARTS."""
    classifications = warehouse.sample.classifications[:published]
    versions = warehouse.sample.workflow_versions
    subjects = counted_classifications(classifications, versions, policy)
    counts = recount(classifications, versions, policy)
    weights = science.volunteer_weights(subjects)
    weighted = science.weighted_votes(subjects, weights)
    asked = science.proportion_volunteers_asked(counts)
    replay = science.retirement_replay(subjects)
    records = warehouse.builds[build_name].subject_records
    rows: dict[str, dict[tuple, Any]] = {
        "volunteer_weights": {(user,): astuple_of(w) for user, w in weights.items()},
        "vote_counts": {key: (*astuple_of(weighted[key]), asked[key]) for key in counts},
        "retirement_replay": {key: astuple_of(row) for key, row in replay.items()},
        "retirement_replay_summary": {
            key: astuple_of(row) for key, row in science.replay_summary(replay).items()
        },
        "training_labels": {
            key: astuple_of(row) for key, row in science.training_labels(counts, records).items()
        },
    }
    return rows


def astuple_of(row: Any) -> tuple:
    return tuple(asdict(row).values())


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, float) and isinstance(expected, float):
        return math.isclose(actual, expected, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return actual == expected


def assert_science_recounted(
    warehouse: Warehouse, build_name: str, policy: str, published: int | None
) -> None:
    """Every row of every science mart equals tests/science_recount.py's, column by column
    (floats to TOLERANCE)."""
    expected = science_recounted(warehouse, build_name, policy, published)
    actual = warehouse.builds[build_name].science
    problems = []
    for mart, (_, columns) in SCIENCE_MARTS.items():
        built, recounted = actual[mart], expected[mart]
        missing, extra = recounted.keys() - built.keys(), built.keys() - recounted.keys()
        if missing or extra:
            problems.append((mart, "rows", sorted(missing)[:3], sorted(extra)[:3]))
        for key in sorted(built.keys() & recounted.keys()):
            for column, a, e in zip(columns, built[key], recounted[key], strict=True):
                if not _same(a, e):
                    problems.append((mart, key, column, a, e))
    assert not problems, problems[:10]
