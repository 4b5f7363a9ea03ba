"""An independent recount of vote counts in plain Python, to check the dbt models against.

It reads the same inputs the warehouse does (classification resources, workflow versions, the
seed CSVs) and applies the documented rules without any SQL: a version's task maps to a schema
question by cleaned question text or alias, and only if every answer maps by cleaned label or
alias to a distinct answer; repeat classifications follow the policy; every schema answer of
every subject with a vote in the schema gets a row.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")

Key = tuple[str, int, str, str]  # schema, subject, question, answer


def clean(label: str | None) -> str | None:
    if label is None:
        return None
    text = " ".join(_IMAGE.sub("", label).lower().split())
    return text or None


def read_seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def version_task_mapping(versions: list[dict[str, Any]]) -> dict[tuple, dict[int, tuple]]:
    """{(schema, workflow, major, minor, task): {answer index: (question, answer)}}, mapped only."""
    schema_rows = read_seed("question_answer_schema")
    workflows = defaultdict(set)
    for row in read_seed("workflow_schema"):
        workflows[int(row["workflow_id"])].add(row["schema_name"])
    aliases = {
        (r["schema_name"], r["label_kind"], r["question"] if r["label_kind"] == "answer" else "",
         clean(r["label"])): (r["question"], r["answer"])
        for r in read_seed("label_aliases")
    }  # fmt: skip
    questions_by_text = defaultdict(set)
    answers_by_text = defaultdict(set)
    for row in schema_rows:
        questions_by_text[(row["schema_name"], clean(row["question_text"]))].add(row["question"])
        answers_by_text[(row["schema_name"], row["question"], clean(row["answer_text"]))].add(
            row["answer"]
        )

    mapping: dict[tuple, dict[int, tuple]] = {}
    for version in versions:
        workflow = int(version["links"]["workflow"])
        major, minor = int(version["major_number"]), int(version["minor_number"])
        strings = version.get("strings") or {}
        for task_key, task in version["tasks"].items():
            if task.get("type") not in ("single", "multiple", "shortcut"):
                continue
            question_text = clean(strings.get(task.get("question"), task.get("question")))
            labels = [clean(strings.get(a["label"], a["label"])) for a in task.get("answers", [])]
            for schema in workflows.get(workflow, ()):
                alias = aliases.get((schema, "question", "", question_text))
                found = questions_by_text.get((schema, question_text), set())
                question = alias[0] if alias else (next(iter(found)) if len(found) == 1 else None)
                if question is None:
                    continue
                answers = []
                for label in labels:
                    alias = aliases.get((schema, "answer", question, label))
                    found = answers_by_text.get((schema, question, label), set())
                    answers.append(
                        alias[1] if alias else (next(iter(found)) if len(found) == 1 else None)
                    )
                if None in answers or len(set(answers)) < len(answers):
                    continue
                mapping[(schema, workflow, major, minor, task_key)] = {
                    i: (question, answer) for i, answer in enumerate(answers)
                }
    return mapping


def answer_indices(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value] if value >= 0 else []
    if isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return list(dict.fromkeys(value))
    return []


def recount(
    classifications: list[dict[str, Any]], versions: list[dict[str, Any]], policy: str
) -> dict[Key, tuple[int, int]]:
    """{(schema, subject, question, answer): (votes, total_votes)} for every grid row."""
    mapping = version_task_mapping(versions)
    schema_rows = read_seed("question_answer_schema")
    workflows = defaultdict(set)
    for row in read_seed("workflow_schema"):
        workflows[int(row["workflow_id"])].add(row["schema_name"])

    # votes[(schema, subject)][classification] = {(question, answer)}; unmapped votes still
    # make the subject (and the classification, for the repeat policy) count.
    votes: dict[tuple[str, int], dict[int, set]] = defaultdict(dict)
    meta: dict[int, tuple] = {}
    for c in classifications:
        cid = int(c["id"])
        workflow = int(c["links"]["workflow"])
        subject = int(c["links"]["subjects"][0])
        user = c["links"].get("user")
        major, minor = (int(p) for p in c["metadata"]["workflow_version"].split("."))
        meta[cid] = (c["created_at"], None if user is None else int(user))
        for schema in workflows.get(workflow, ()):
            chosen = set()
            any_vote = False
            for annotation in c["annotations"]:
                indices = answer_indices(annotation.get("value"))
                any_vote = any_vote or bool(indices)
                task_map = mapping.get((schema, workflow, major, minor, annotation.get("task")), {})
                chosen.update(task_map[i] for i in indices if i in task_map)
            if any_vote:
                votes[(schema, subject)][cid] = chosen

    counts: dict[Key, tuple[int, int]] = {}
    for (schema, subject), by_classification in votes.items():
        kept = _apply_policy(by_classification, meta, policy)
        for row in schema_rows:
            if row["schema_name"] != schema:
                continue
            question, answer = row["question"], row["answer"]
            total = sum(1 for cid in kept if any(q == question for q, _ in by_classification[cid]))
            n = sum(1 for cid in kept if (question, answer) in by_classification[cid])
            counts[(schema, subject, question, answer)] = (n, total)
    return counts


def _apply_policy(
    by_classification: dict[int, set], meta: dict[int, tuple], policy: str
) -> list[int]:
    if policy == "all":
        return list(by_classification)
    chosen: dict[int, int] = {}
    kept = []
    for cid in by_classification:
        created, user = meta[cid]
        if user is None:
            kept.append(cid)
            continue
        best = chosen.get(user)
        key = (created, cid)
        if best is None or (key < (meta[best][0], best)) == (policy == "first"):
            chosen[user] = cid
    return kept + list(chosen.values())
