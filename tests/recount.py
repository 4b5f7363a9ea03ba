"""An independent recount of vote counts in plain Python, to check the dbt models against.

It reads the same inputs the warehouse does (classification resources, workflow versions, the
seed CSVs) and applies the documented rules without any SQL: a version's task maps to a schema
question by cleaned question text or alias, and only if every answer maps by cleaned label or
alias to a distinct answer; within one major version a task maps as the newest minor version
that maps it fully does (same type and number of answers); a dropdown with fixed options is a
single-choice question whose answers are its options; repeat classifications follow the
policy; every schema answer of every subject with a vote in the schema gets a row.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_MARKS = re.compile(r"[*_~#`\[\]]")

Key = tuple[str, int, str, str]  # schema, subject, question, answer


def clean(label: str | None) -> str | None:
    if label is None:
        return None
    text = " ".join(_MARKS.sub("", _LINK_TARGET.sub("", _IMAGE.sub("", label))).lower().split())
    return text or None


def read_seed(name: str, seeds: Path = SEEDS) -> list[dict[str, str]]:
    with (seeds / f"{name}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _resolve(strings: dict[str, Any], key: Any) -> Any:
    """A label key through the version's strings; the key itself when it is not one."""
    found = strings.get(key) if isinstance(key, str) else None
    return key if found is None else found


def as_text(value: Any) -> str | None:
    """A JSON value as the warehouse reads it as text: strings as they are, others as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def fixed_options(task: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A dropdown's options when it is a question: one select, no values of the volunteer's
    own, one option list ("*") whatever came before. None for any other task."""
    selects = task.get("selects")
    if task.get("type") != "dropdown" or not isinstance(selects, list) or len(selects) != 1:
        return None
    select = selects[0]
    if not isinstance(select, dict) or select.get("allowCreate"):
        return None
    options = select.get("options")
    if not isinstance(options, dict) or list(options) != ["*"]:
        return None
    return options["*"] if isinstance(options["*"], list) else None


def question_of(
    task: dict[str, Any], strings: dict[str, Any], shown_with: str | None = None
) -> tuple | None:
    """(cleaned question text, cleaned answer labels) of a task asked as a question, or None.

    A shortcut with no question of its own is asked as the question of the task that shows it
    (`shown_with`, as written) followed by " (shortcut)"."""
    if task.get("type") in ("single", "multiple", "shortcut"):
        text = _resolve(strings, _question_key(task))
        if task.get("type") == "shortcut" and not text and shown_with:
            text = shown_with + " (shortcut)"
        labels = [_resolve(strings, a.get("label")) for a in task.get("answers") or []]
        return clean(text), [clean(label) for label in labels]
    options = fixed_options(task)
    if options is None:
        return None
    title = _resolve(strings, task["selects"][0].get("title"))
    text = title if title else _resolve(strings, task.get("instruction"))
    return clean(text), [clean(_resolve(strings, o.get("label"))) for o in options]


def _question_key(task: dict[str, Any]) -> Any:
    """The task's question, else its instruction (a key into the strings, or the text)."""
    return task.get("question") if task.get("question") is not None else task.get("instruction")


def version_questions(version: dict[str, Any]) -> dict[str, tuple | None]:
    """question_of for every task of a version, shortcuts asked with the task showing them."""
    strings = version.get("strings") or {}
    tasks = version["tasks"]
    shown_with = {}
    for task in tasks.values():
        linked = task.get("unlinkedTask")
        if linked in tasks:
            shown_with[linked] = _resolve(strings, _question_key(task))
    return {key: question_of(task, strings, shown_with.get(key)) for key, task in tasks.items()}


def dropdown_option_values(versions: list[dict[str, Any]]) -> dict[tuple, list[str | None]]:
    """{(workflow, major, minor, task): option values as text} of the fixed-option dropdowns."""
    found = {}
    for version in versions:
        workflow = int(version["links"]["workflow"])
        major, minor = int(version["major_number"]), int(version["minor_number"])
        for task_key, task in version["tasks"].items():
            options = fixed_options(task)
            if options is not None:
                values = [as_text(option.get("value")) for option in options]
                found[(workflow, major, minor, task_key)] = values
    return found


def version_task_mapping(
    versions: list[dict[str, Any]], seeds: Path = SEEDS
) -> dict[tuple, dict[int, tuple]]:
    """{(schema, workflow, major, minor, task): {answer index: (question, answer)}}, mapped only.

    Each version's own labels first; then, within a major version, every minor version's task
    maps as the newest minor that maps it fully, if the task has the same type and number of
    answers there."""
    schema_rows = read_seed("question_answer_schema", seeds)
    workflows = defaultdict(set)
    for row in read_seed("workflow_schema", seeds):
        workflows[int(row["workflow_id"])].add(row["schema_name"])
    aliases = {
        (r["schema_name"], r["label_kind"], r["question"] if r["label_kind"] == "answer" else "",
         clean(r["label"])): (r["question"], r["answer"])
        for r in read_seed("label_aliases", seeds)
    }  # fmt: skip
    questions_by_text = defaultdict(set)
    answers_by_text = defaultdict(set)
    for row in schema_rows:
        questions_by_text[(row["schema_name"], clean(row["question_text"]))].add(row["question"])
        answers_by_text[(row["schema_name"], row["question"], clean(row["answer_text"]))].add(
            row["answer"]
        )

    own: dict[tuple, dict[int, tuple] | None] = {}
    shapes: dict[tuple, tuple[str, int]] = {}  # task type and number of answers
    texts: dict[tuple, tuple] = {}  # question text, question it names, answer labels
    for version in versions:
        workflow = int(version["links"]["workflow"])
        major, minor = int(version["major_number"]), int(version["minor_number"])
        for task_key, asked in version_questions(version).items():
            task = version["tasks"][task_key]
            if asked is None or not asked[1]:
                continue
            question_text, labels = asked
            for schema in workflows.get(workflow, ()):
                key = (schema, workflow, major, minor, task_key)
                shapes[key] = (task["type"], len(labels))
                own[key] = None
                alias = aliases.get((schema, "question", "", question_text))
                found = questions_by_text.get((schema, question_text), set())
                question = alias[0] if alias else (next(iter(found)) if len(found) == 1 else None)
                texts[key] = (question_text, question, labels)
                if question is None or question_text is None:
                    continue
                answers = []
                for label in labels:
                    alias = aliases.get((schema, "answer", question, label))
                    found = answers_by_text.get((schema, question, label), set()) if label else ()
                    answers.append(
                        alias[1] if alias else (next(iter(found)) if len(found) == 1 else None)
                    )
                if None in answers or len(set(answers)) < len(answers):
                    continue
                own[key] = {i: (question, answer) for i, answer in enumerate(answers)}

    newest: dict[tuple, int] = {}  # (schema, workflow, major, task) -> newest fully mapped minor
    for (schema, workflow, major, minor, task_key), answers in own.items():
        group = (schema, workflow, major, task_key)
        if answers is not None and minor > newest.get(group, -1):
            newest[group] = minor
    mapping: dict[tuple, dict[int, tuple]] = {}
    for key, answers in own.items():
        schema, workflow, major, _, task_key = key
        source_minor = newest.get((schema, workflow, major, task_key))
        source = (schema, workflow, major, source_minor, task_key)
        if (
            source_minor is not None
            and shapes[source] == shapes[key]
            and _text_edit(texts[source], texts[key])
        ):
            mapping[key] = own[source]
        elif answers is not None:
            mapping[key] = answers
    return mapping


def _text_edit(source: tuple, version: tuple) -> bool:
    """The two minor versions differ in the question's text or in the answers' labels, not in
    both: the same question (an edit of the other kind is a new meaning)."""
    (text, question, labels), (own_text, own_question, own_labels) = source, version
    same_labels = [label or "" for label in labels] == [label or "" for label in own_labels]
    return (
        (text is not None and text == own_text)
        or (question is not None and question == own_question)
        or same_labels
    )


def dropdown_answer_indices(value: Any, option_values: list[str | None]) -> list[int]:
    """The position of a fixed-option dropdown's chosen value among its options, as a list."""
    if not isinstance(value, list) or not value or not isinstance(value[0], dict):
        return []
    chosen = value[0]
    if as_text(chosen.get("option")) == "false":
        return []
    text = as_text(chosen.get("value"))
    if text is None or text not in option_values:
        return []
    return [option_values.index(text)]


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


@dataclass(frozen=True)
class Counted:
    """One counted classification of a subject in a schema: its counted (question, answer)
    votes (empty when all its votes are unmapped: it still counts for the repeat policy), and
    for each question it answered whether that question was single-choice (neither a
    multiple-choice task nor a shortcut) in the classification's own workflow version."""

    votes: frozenset[tuple[str, str]]
    created_at: str
    user: int | None
    workflow: int
    single_choice: dict[str, bool] = field(default_factory=dict)


def task_types(versions: list[dict[str, Any]]) -> dict[tuple, str | None]:
    """{(workflow, major, minor, task): task type} of every version's tasks."""
    return {
        (
            int(version["links"]["workflow"]),
            int(version["major_number"]),
            int(version["minor_number"]),
            task_key,
        ): task.get("type")
        for version in versions
        for task_key, task in version["tasks"].items()
    }


def counted_classifications(
    classifications: list[dict[str, Any]],
    versions: list[dict[str, Any]],
    policy: str,
    seeds: Path = SEEDS,
) -> dict[tuple[str, int], dict[int, Counted]]:
    """{(schema, subject): {classification id: Counted}} of the classifications that count
    under the repeat policy, for every subject with a vote (mapped or not) in the schema."""
    mapping = version_task_mapping(versions, seeds)
    options = dropdown_option_values(versions)
    types = task_types(versions)
    workflows = defaultdict(set)
    for row in read_seed("workflow_schema", seeds):
        workflows[int(row["workflow_id"])].add(row["schema_name"])

    # votes[(schema, subject)][classification]; unmapped votes still make the subject (and the
    # classification, for the repeat policy) count.
    votes: dict[tuple[str, int], dict[int, Counted]] = defaultdict(dict)
    meta: dict[int, tuple] = {}
    for c in classifications:
        cid = int(c["id"])
        workflow = int(c["links"]["workflow"])
        subject = int(c["links"]["subjects"][0])
        user = c["links"].get("user")
        user = None if user is None else int(user)
        major, minor = (int(p) for p in c["metadata"]["workflow_version"].split("."))
        meta[cid] = (c["created_at"], user)
        for schema in workflows.get(workflow, ()):
            chosen: set[tuple[str, str]] = set()
            single_choice: dict[str, bool] = {}
            any_vote = False
            seen_tasks: set = set()
            seen_questions: set = set()
            for annotation in c["annotations"]:
                task = annotation.get("task")
                option_values = options.get((workflow, major, minor, task))
                indices = (
                    answer_indices(annotation.get("value"))
                    if option_values is None
                    else dropdown_answer_indices(annotation.get("value"), option_values)
                )
                any_vote = any_vote or bool(indices)
                task_map = mapping.get((schema, workflow, major, minor, task), {})
                mapped = {task_map[i] for i in indices if i in task_map}
                questions = {question for question, _ in mapped}
                # only the first annotation of a task, and of a schema question, counts
                if task not in seen_tasks and not questions & seen_questions:
                    chosen.update(mapped)
                    single = types.get((workflow, major, minor, task)) not in (
                        "multiple",
                        "shortcut",
                    )
                    single_choice.update(dict.fromkeys(questions, single))
                seen_tasks.add(task)
                seen_questions |= questions
            if any_vote:
                votes[(schema, subject)][cid] = Counted(
                    frozenset(chosen), c["created_at"], user, workflow, single_choice
                )

    return {
        key: {cid: by_classification[cid] for cid in _apply_policy(by_classification, meta, policy)}
        for key, by_classification in votes.items()
    }


def recount(
    classifications: list[dict[str, Any]],
    versions: list[dict[str, Any]],
    policy: str,
    seeds: Path = SEEDS,
) -> dict[Key, tuple[int, int]]:
    """{(schema, subject, question, answer): (votes, total_votes)} for every grid row."""
    schema_rows = read_seed("question_answer_schema", seeds)
    counts: dict[Key, tuple[int, int]] = {}
    for (schema, subject), kept in counted_classifications(
        classifications, versions, policy, seeds
    ).items():
        for row in schema_rows:
            if row["schema_name"] != schema:
                continue
            question, answer = row["question"], row["answer"]
            total = sum(1 for c in kept.values() if any(q == question for q, _ in c.votes))
            n = sum(1 for c in kept.values() if (question, answer) in c.votes)
            counts[(schema, subject, question, answer)] = (n, total)
    return counts


def _apply_policy(
    by_classification: dict[int, Any], meta: dict[int, tuple], policy: str
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
