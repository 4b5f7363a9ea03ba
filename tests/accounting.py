"""An independent account of every annotation, in plain Python, to check vote_accounting against.

Each annotation (one classification x one task), for each schema its workflow feeds (once, with
schema None, where it feeds none), gets the first outcome that applies, in the documented
order; the rules of mapping and the repeat policy are those of tests/recount.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from recount import (
    SEEDS,
    _apply_policy,
    answer_indices,
    dropdown_answer_indices,
    dropdown_option_values,
    read_seed,
    version_questions,
    version_task_mapping,
)

Outcome = tuple[str | None, int, str]  # schema, subject, outcome


def account(
    classifications: list[dict[str, Any]],
    versions: list[dict[str, Any]],
    policy: str = "first",
    seeds: Path = SEEDS,
    classified_before: str | None = None,
) -> Counter[Outcome]:
    """{(schema, subject, outcome): annotations} over every landed annotation."""
    mapping = version_task_mapping(versions, seeds)
    options = dropdown_option_values(versions)
    tasks = {
        (int(v["links"]["workflow"]), int(v["major_number"]), int(v["minor_number"])): v["tasks"]
        for v in versions
    }
    asked = {
        (int(v["links"]["workflow"]), int(v["major_number"]), int(v["minor_number"])): (
            version_questions(v)
        )
        for v in versions
    }
    ranges: dict[int, dict[str, tuple]] = defaultdict(dict)
    for row in read_seed("workflow_schema", seeds):
        ranges[int(row["workflow_id"])][row["schema_name"]] = (
            _version(row["min_workflow_version"]),
            _version(row["max_workflow_version"]),
        )
    excluded = {int(row["user_id"]) for row in read_seed("excluded_volunteers", seeds)}
    before = datetime.fromisoformat(classified_before) if classified_before else None

    judged: list[tuple[str | None, int, int, str | None]] = []  # schema, subject, cid, outcome
    candidates: dict[tuple[str, int], dict[int, set]] = defaultdict(dict)
    meta: dict[int, tuple] = {}
    for c in classifications:
        cid, subject = int(c["id"]), int(c["links"]["subjects"][0])
        workflow = int(c["links"]["workflow"])
        user = c["links"].get("user")
        user = None if user is None else int(user)
        version = _version(c["metadata"]["workflow_version"])
        created = datetime.fromisoformat(c["created_at"].replace("Z", "+00:00"))
        meta[cid] = (c["created_at"], user)
        version_tasks = tasks.get((workflow, *version))
        for schema in ranges.get(workflow) or {None: None}:
            low, high = ranges[workflow][schema] if schema else (None, None)
            eligible = (
                (low is None or version >= low)
                and (high is None or version <= high)
                and user not in excluded
                and (before is None or created.replace(tzinfo=None) < before)
            )
            seen_tasks: set = set()
            seen_questions: set = set()
            any_vote = False
            for annotation in c["annotations"]:
                task = annotation.get("task")
                option_values = options.get((workflow, *version, task))
                indices = (
                    answer_indices(annotation.get("value"))
                    if option_values is None
                    else dropdown_answer_indices(annotation.get("value"), option_values)
                )
                any_vote = any_vote or bool(indices)
                task_map = mapping.get((schema, workflow, *version, task), {})
                mapped = {task_map[i] for i in indices if i in task_map}
                questions = {question for question, _ in mapped}
                again = task in seen_tasks or bool(questions & seen_questions)
                seen_tasks.add(task)
                seen_questions |= questions
                if version_tasks is None:
                    outcome = "version not landed"
                elif schema is None:
                    outcome = "feeds no schema"
                elif task not in version_tasks:
                    outcome = "unmapped"
                elif asked[(workflow, *version)][task] is None:
                    outcome = "not a question"
                elif again:
                    outcome = "answered again"
                elif not (low is None or version >= low) or not (high is None or version <= high):
                    outcome = "outside version range"
                elif user in excluded:
                    outcome = "excluded volunteer"
                elif before is not None and created.replace(tzinfo=None) >= before:
                    outcome = "outside date window"
                elif not indices:
                    outcome = "no answer"
                elif not mapped:
                    outcome = "unmapped"
                else:
                    outcome = None  # counted, or a repeat: decided once candidates are known
                judged.append((schema, subject, cid, outcome))
            if schema is not None and eligible and any_vote:
                candidates[(schema, subject)][cid] = set()

    kept = {
        (schema, cid)
        for (schema, _), by_classification in candidates.items()
        for cid in _apply_policy(by_classification, meta, policy)
    }
    outcomes: Counter[Outcome] = Counter()
    for schema, subject, cid, outcome in judged:
        if outcome is None:
            outcome = "counted" if (schema, cid) in kept else "repeat classification"
        outcomes[(schema, subject, outcome)] += 1
    return outcomes


def _version(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    major, minor = text.split(".")
    return int(major), int(minor)
