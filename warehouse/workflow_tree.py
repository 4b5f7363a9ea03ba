"""A workflow version's decision tree as seed rows, and what the models would map. No I/O.

:func:`build_schema` turns the newest version of a workflow into the rows of
``seeds/question_answer_schema.csv`` (and the ``label_aliases`` rows the models need to map them
back); :func:`map_version` says, for any version, which of its tasks the models would count
under which schema question, or why not, by the rule of ``int_answer_mapping``.

Rules, in the words of the seed:

- A question is a task of type ``single``, ``multiple`` or ``shortcut``, or a ``dropdown`` task
  with exactly one select whose options are fixed (``allowCreate`` not true, one ``"*"`` option
  list): its options are its answers and its select's title (else the task's instruction) its
  question, as ``int_workflow_version_tasks`` reads it. A question without answers has no rows.
- ``question_text`` and ``answer_text`` are the texts volunteers read (resolved through the
  version's ``strings``, markdown shown as plain text); where that text cleans differently from
  the version's own (bold markers, links, headings), a ``label_aliases`` row maps the version's
  text to the question or answer.
- ``question`` and ``answer`` are slugs of those texts (:data:`QUESTION_SLUG_MAX`,
  :data:`ANSWER_SLUG_MAX`); a question slug already taken in the schema gets the task key, an
  answer slug taken in its question a number.
- ``parent_question`` / ``parent_answer``: the nearest question every path to the task passes
  through (possibly through tasks that are not questions) and the answer that leads on. Blank
  ``parent_answer`` with a ``parent_question``: asked after any answer of it (a multiple-choice,
  shortcut or dropdown parent, or a single-choice one all of whose answers lead here). A task
  reached after some but not all answers of its parent is left a root. A shortcut task (another
  task's ``unlinkedTask``) and the tasks of a combo are placed where the task that shows them is.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from itertools import count
from typing import Any

from warehouse.labels import clean_label, fold_whitespace, slug, strip_markdown

QUESTION_TYPES = ("single", "multiple", "shortcut")  # and dropdowns with fixed options
# The longest wide-mart column, "{question}_{answer}_fraction_min", stays within a FITS column
# name (68 characters), so `gz-warehouse catalogue publish` can write every schema.
QUESTION_SLUG_MAX = 32
ANSWER_SLUG_MAX = 22
SEED_COLUMNS = ("schema_name", "question", "question_text", "answer", "answer_text",
                "answer_index", "parent_question", "parent_answer")  # fmt: skip
ALIAS_COLUMNS = ("schema_name", "label_kind", "label", "question", "answer")
_START = "\x00start"


@dataclass(frozen=True)
class WorkflowVersion:
    """One version of a workflow: its tasks and strings as Panoptes keeps them."""

    workflow_id: int
    major: int
    minor: int
    tasks: Mapping[str, Any]
    strings: Mapping[str, Any] = field(default_factory=dict)
    first_task: str | None = None
    display_name: str | None = None

    @property
    def number(self) -> tuple[int, int]:
        return (self.major, self.minor)

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}"


def newest(versions: Iterable[WorkflowVersion]) -> WorkflowVersion:
    """The newest version: (major, minor) compared as integers, so 16.55 is newer than 16.6."""
    return max(versions, key=lambda version: version.number)


@dataclass(frozen=True)
class Task:
    """A task as volunteers saw it."""

    key: str
    type: str
    text: str | None  # question or instruction, resolved through strings, as written
    labels: tuple[str | None, ...] = ()  # answers (a dropdown's options), resolved
    is_question: bool = False
    note: str = ""  # why it is not a question


@dataclass(frozen=True)
class SeedRow:
    """A row of ``seeds/question_answer_schema.csv``."""

    schema_name: str
    question: str
    question_text: str
    answer: str
    answer_text: str
    answer_index: str
    parent_question: str
    parent_answer: str

    @classmethod
    def from_csv(cls, row: Mapping[str, str]) -> SeedRow:
        return cls(*(row.get(column) or "" for column in SEED_COLUMNS))

    def values(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]


@dataclass(frozen=True)
class AliasRow:
    """A row of ``seeds/label_aliases.csv``."""

    schema_name: str
    label_kind: str
    label: str
    question: str
    answer: str

    @classmethod
    def from_csv(cls, row: Mapping[str, str]) -> AliasRow:
        return cls(*(row.get(column) or "" for column in ALIAS_COLUMNS))

    def values(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]


@dataclass(frozen=True)
class Answer:
    name: str
    text: str
    index: int


@dataclass(frozen=True)
class Question:
    """A question of the schema, with where it sits in the tree."""

    task: Task
    name: str
    text: str
    answers: tuple[Answer, ...]
    parent_question: str = ""
    parent_answer: str = ""
    note: str = ""  # why it is a root although a question leads to it


@dataclass(frozen=True)
class Schema:
    """What ``gz-warehouse schema init`` writes for one version."""

    name: str
    version: WorkflowVersion
    questions: tuple[Question, ...]
    aliases: tuple[AliasRow, ...]
    notes: tuple[str, ...] = ()

    def seed_rows(self) -> list[SeedRow]:
        return [
            SeedRow(
                self.name,
                q.name,
                q.text,
                a.name,
                a.text,
                str(a.index),
                q.parent_question,
                q.parent_answer,
            )
            for q in self.questions
            for a in q.answers
        ]


# -- tasks ------------------------------------------------------------------------------------


# A shortcut task has no question of its own: it is asked as "<the question that shows it>"
# followed by this (as int_workflow_version_tasks names it), a question of its own.
SHORTCUT_SUFFIX = " (shortcut)"


def read_tasks(version: WorkflowVersion) -> dict[str, Task]:
    """Every task of the version (definitions that are not objects are left out)."""
    tasks = {
        key: _read_task(key, definition, version.strings)
        for key, definition in version.tasks.items()
        if isinstance(definition, dict)
    }
    for key, definition in version.tasks.items():
        shortcut = (
            tasks.get(definition.get("unlinkedTask")) if isinstance(definition, dict) else None
        )
        if shortcut and shortcut.type == "shortcut" and not shortcut.text and tasks[key].text:
            tasks[shortcut.key] = replace(shortcut, text=tasks[key].text + SHORTCUT_SUFFIX)
    return tasks


def _read_task(key: str, definition: Mapping[str, Any], strings: Mapping[str, Any]) -> Task:
    task_type = definition.get("type")
    task_type = task_type if isinstance(task_type, str) else ""
    # as int_workflow_version_tasks: the question, else the instruction, through the strings
    text = _resolve(strings, _first_text(definition.get("question"), definition.get("instruction")))
    if task_type in QUESTION_TYPES:
        answers = definition.get("answers")
        labels = tuple(
            _resolve(strings, answer.get("label")) if isinstance(answer, dict) else None
            for answer in (answers if isinstance(answers, list) else [])
        )
        return Task(key, task_type, text, labels, is_question=True)
    if task_type == "dropdown":
        return _dropdown_task(key, definition, strings, text)
    return Task(key, task_type or "(no type)", text, note="not a question")


def _dropdown_task(
    key: str, definition: Mapping[str, Any], strings: Mapping[str, Any], text: str | None
) -> Task:
    """A dropdown with one select of fixed options is a question (its select's title, else the
    instruction, asks it); any other dropdown is not."""
    selects = definition.get("selects")
    if not isinstance(selects, list) or len(selects) != 1 or not isinstance(selects[0], dict):
        return Task(key, "dropdown", text, note="not a question (not exactly one select)")
    select = selects[0]
    options = select.get("options")
    if select.get("allowCreate"):
        return Task(key, "dropdown", text, note="not a question (volunteers may type a value)")
    if (
        not isinstance(options, dict)
        or list(options) != ["*"]
        or not isinstance(options["*"], list)
    ):
        return Task(key, "dropdown", text, note="not a question (its options depend on a choice)")
    labels = tuple(
        _resolve(strings, option.get("label")) if isinstance(option, dict) else None
        for option in options["*"]
    )
    title = _resolve(strings, select.get("title"))
    instruction = _resolve(strings, definition.get("instruction"))
    return Task(key, "dropdown", title or instruction, labels, is_question=True)


def _first_text(*values: Any) -> str | None:
    return next((value for value in values if isinstance(value, str)), None)


def _resolve(strings: Mapping[str, Any], value: Any) -> str | None:
    """A label through the version's strings (exports before string extraction hold the text)."""
    if not isinstance(value, str):
        return None
    resolved = strings.get(value)
    return resolved if isinstance(resolved, str) else value


# -- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tree:
    tasks: dict[str, Task]
    exits: dict[str, list[tuple[int | None, str]]]  # task -> (answer index or None, next task)
    shown_by: dict[str, str]  # shortcut or combo member -> the task that shows it
    entries: tuple[str, ...]
    notes: tuple[str, ...]


def _tree(version: WorkflowVersion) -> _Tree:
    tasks = read_tasks(version)
    exits: dict[str, list[tuple[int | None, str]]] = {}
    shown_by: dict[str, str] = {}
    notes: list[str] = []
    for key, task in tasks.items():
        definition = version.tasks[key]
        linked = definition.get("unlinkedTask")
        if isinstance(linked, str) and linked in tasks:
            shown_by[linked] = key
        if task.type == "combo":
            members = definition.get("tasks")
            for member in members if isinstance(members, list) else []:
                if isinstance(member, str) and member in tasks:
                    shown_by[member] = key
        exits[key] = []
        for answer, target in _task_exits(definition, task):
            if target in tasks:
                exits[key].append((answer, target))
            else:
                notes.append(f"{key} leads to {target!r}, which is not a task of this version")
    for member, shower in shown_by.items():
        if tasks[shower].type == "combo":
            exits[member] = []  # a combo's tasks go on where the combo goes on
    reached = {target for task_exits in exits.values() for _, target in task_exits}
    entries = [version.first_task] if version.first_task in tasks else []
    entries += [key for key in tasks
                if key not in reached and key not in shown_by and key not in entries]  # fmt: skip
    return _Tree(tasks, exits, shown_by, tuple(entries), tuple(notes))


def _task_exits(definition: Mapping[str, Any], task: Task) -> list[tuple[int | None, str]]:
    """Where the task leads: per answer for a single-choice task, else the task's ``next``."""
    task_next = definition.get("next")
    task_next = task_next if isinstance(task_next, str) and task_next else None
    if task.type != "single":
        return [(None, task_next)] if task_next else []
    answers = definition.get("answers")
    found = []
    for index, answer in enumerate(answers if isinstance(answers, list) else []):
        target = answer.get("next") if isinstance(answer, dict) else None
        target = target if isinstance(target, str) and target else task_next
        if target:
            found.append((index, target))
    return found


def tree_order(version: WorkflowVersion) -> list[str]:
    """Task keys in the order volunteers meet them: a task after every task that leads to it,
    ties in the order of the version's tasks (cycles broken in that order too)."""
    tree = _tree(version)
    position = {key: i for i, key in enumerate(tree.tasks)}
    following: dict[str, set[str]] = {key: set() for key in tree.tasks}
    for key, task_exits in tree.exits.items():
        following[key].update(target for _, target in task_exits)
    for member, shower in tree.shown_by.items():
        following[shower].add(member)
    waiting = {key: 0 for key in tree.tasks}
    for targets in following.values():
        for target in targets:
            waiting[target] += 1

    def priority(key: str) -> tuple[int, int, str]:
        return (0 if key == version.first_task else 1, position[key], key)

    ready = [priority(key) for key, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(tree.tasks):
        if not ready:  # a cycle: go on from its first task
            heapq.heappush(ready, min(priority(k) for k in tree.tasks if k not in done))
        key = heapq.heappop(ready)[2]
        if key in done:
            continue
        order.append(key)
        done.add(key)
        for target in sorted(following[key], key=priority):
            waiting[target] -= 1
            if waiting[target] == 0 and target not in done:
                heapq.heappush(ready, priority(target))
    return order


@dataclass(frozen=True)
class Placement:
    """Where a task sits: after which task's which answer (None: any answer), or at the root."""

    parent: str | None = None
    answer: int | None = None
    note: str = ""


def placements(version: WorkflowVersion) -> dict[str, Placement]:
    """The parent of every question task of the version (see the module's rules)."""
    tree = _tree(version)
    dominators = _dominators(tree)
    placed: dict[str, Placement] = {}

    def place(key: str, showing: frozenset[str] = frozenset()) -> Placement:
        if key in tree.shown_by and key not in showing:  # (tasks that show each other: a root)
            return place(tree.shown_by[key], showing | {key})
        if key not in dominators:
            return Placement(note="not reached from the first task")
        above = [d for d in dominators[key] if d not in (key, _START) and tree.tasks[d].is_question]
        if not above:
            return Placement()
        parent = max(above, key=lambda d: len(dominators[d]))  # the nearest
        answers = sorted(
            {answer for answer, target in tree.exits[parent]
             if target == key or _reaches(tree, target, key, avoid=parent)},
            key=lambda answer: -1 if answer is None else answer,
        )  # fmt: skip
        if tree.tasks[parent].type != "single" or answers == [None]:
            return Placement(parent, None)
        if len(answers) == 1:
            return Placement(parent, answers[0])
        if set(answers) == set(range(len(tree.tasks[parent].labels))):
            return Placement(parent, None)
        shown = ", ".join(str(a) for a in answers)
        return Placement(
            note=f"reached after answers {shown} of {parent}, not all of them "
            "(a seed row names one parent answer)"
        )

    for key, task in tree.tasks.items():
        if task.is_question:
            placed[key] = place(key)
    return placed


def _dominators(tree: _Tree) -> dict[str, set[str]]:
    """For every task reached from the start, the nodes every path to it passes through."""
    predecessors: dict[str, set[str]] = {key: set() for key in tree.tasks}
    for entry in tree.entries:
        predecessors[entry].add(_START)
    for key, task_exits in tree.exits.items():
        for _, target in task_exits:
            predecessors[target].add(key)
    reached = {_START}
    frontier = [_START]
    while frontier:
        node = frontier.pop()
        targets = tree.entries if node == _START else [t for _, t in tree.exits[node]]
        for target in targets:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    dominators = {node: set(reached) for node in reached}
    dominators[_START] = {_START}
    changed = True
    while changed:
        changed = False
        for node in reached - {_START}:
            incoming = [dominators[p] for p in predecessors[node] if p in reached]
            updated = {node} | set.intersection(*incoming) if incoming else {node}
            if updated != dominators[node]:
                dominators[node], changed = updated, True
    return dominators


def _reaches(tree: _Tree, start: str, goal: str, avoid: str) -> bool:
    seen, frontier = {start}, [start]
    while frontier:
        node = frontier.pop()
        if node == goal:
            return True
        for _, target in tree.exits[node]:
            if target not in seen and target != avoid:
                seen.add(target)
                frontier.append(target)
    return False


# -- the schema -------------------------------------------------------------------------------


def build_schema(schema_name: str, version: WorkflowVersion) -> Schema:
    """The seed rows (and label aliases) of a schema made from one workflow version."""
    tree = _tree(version)
    placed = placements(version)
    order = [key for key in tree_order(version) if tree.tasks[key].is_question]
    notes = list(tree.notes)
    notes += [f"{key} has no answers: no rows" for key in order if not tree.tasks[key].labels]
    taken: set[str] = set()
    named: dict[str, tuple[str, list[Answer]]] = {}
    for key in order:
        task = tree.tasks[key]
        text = strip_markdown(task.text)
        base = slug(text, QUESTION_SLUG_MAX) or slug(key, QUESTION_SLUG_MAX)
        name = _unique(base, taken, QUESTION_SLUG_MAX, [slug(key, QUESTION_SLUG_MAX)])
        taken.add(name)
        answer_names: set[str] = set()
        answers = []
        for index, label in enumerate(task.labels):
            answer_text = strip_markdown(label)
            base = slug(answer_text, ANSWER_SLUG_MAX) or f"answer-{index}"
            answer = _unique(base, answer_names, ANSWER_SLUG_MAX, [])
            answer_names.add(answer)
            answers.append(Answer(answer, answer_text, index))
        named[key] = (name, answers)

    questions = []
    for key in order:
        name, answers = named[key]
        if not answers:
            continue
        place = placed[key]
        parent_question = named[place.parent][0] if place.parent else ""
        parent_answer = (
            named[place.parent][1][place.answer].name
            if place.parent and place.answer is not None
            else ""
        )
        task = tree.tasks[key]
        questions.append(
            Question(
                task,
                name,
                strip_markdown(task.text),
                tuple(answers),
                parent_question,
                parent_answer,
                place.note,
            )
        )
    aliases = tuple(_aliases(schema_name, questions))
    return Schema(schema_name, version, tuple(questions), aliases, tuple(notes))


def _unique(base: str, taken: set[str], max_length: int, suffixes: Iterable[str]) -> str:
    """``base``, else ``base-<suffix>`` for the first suffix (then 2, 3 ...) not taken yet."""
    if base not in taken:
        return base
    for suffix in _chain(suffixes, (str(n) for n in count(2))):
        stem = slug(base, max_length - len(suffix) - 1)
        candidate = f"{stem}-{suffix}" if stem else suffix
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def _chain(*iterables: Iterable[str]) -> Iterator[str]:
    for iterable in iterables:
        yield from iterable


def _aliases(schema_name: str, questions: Sequence[Question]) -> Iterator[AliasRow]:
    """Alias rows for the texts that clean differently once their markdown is stripped.

    The models match cleaned texts, and cleaning removes images but no other markdown. A text
    the version shares with another question (or an answer label shared within its question)
    gets no alias: the models cannot tell those apart anyway.
    """
    texts = [clean_label(q.task.text) for q in questions]
    for question, cleaned in zip(questions, texts, strict=True):
        if cleaned and cleaned != clean_label(question.text) and texts.count(cleaned) == 1:
            label = fold_whitespace(question.task.text or "")
            yield AliasRow(schema_name, "question", label, question.name, "")
        labels = [clean_label(label) for label in question.task.labels]
        for answer, label, cleaned_label in zip(
            question.answers, question.task.labels, labels, strict=True
        ):
            if (
                cleaned_label
                and cleaned_label != clean_label(answer.text)
                and labels.count(cleaned_label) == 1
            ):
                yield AliasRow(
                    schema_name, "answer", fold_whitespace(label or ""), question.name, answer.name
                )


# -- what the models would map ----------------------------------------------------------------


@dataclass(frozen=True)
class TaskMapping:
    """A question task of some version: the schema question its votes count under, or why not.

    ``by`` names another minor version of the same major whose labels map the task (the rule of
    ``int_answer_mapping``: a minor version only edits text).
    """

    task: Task
    question: str | None
    reason: str | None = None
    by: str | None = None


def map_versions(
    versions: Sequence[WorkflowVersion],
    rows: Sequence[SeedRow],
    aliases: Sequence[AliasRow],
    schema_version: str,
) -> dict[tuple[int, int], dict[str, TaskMapping]]:
    """Per version and question task, what ``int_answer_mapping`` makes of it with these seed
    rows and aliases (one schema's); ``schema_version`` names them in the reasons.

    A task maps by its own texts; within one major version, it maps as the newest minor version
    whose own texts map it does, when it has the same type and number of answers there.
    """
    own = {v.number: map_version(v, rows, aliases, schema_version) for v in versions}
    mapped: dict[tuple[int, int], dict[str, TaskMapping]] = {}
    for version in versions:
        mapped[version.number] = {}
        for key, mapping in own[version.number].items():
            sources = [
                other
                for other in versions
                if other.major == version.major
                and key in own[other.number]
                and own[other.number][key].question is not None
            ]
            source = max(sources, key=lambda other: other.minor, default=None)
            if source is not None and _same_shape(own[source.number][key].task, mapping.task):
                found = own[source.number][key]
                by = source.version if mapping.question is None else None
                mapping = TaskMapping(mapping.task, found.question, by=by)
            mapped[version.number][key] = mapping
    return mapped


def _same_shape(task: Task, other: Task) -> bool:
    return task.type == other.type and len(task.labels) == len(other.labels) > 0


def map_version(
    version: WorkflowVersion,
    rows: Sequence[SeedRow],
    aliases: Sequence[AliasRow],
    schema_version: str,
) -> dict[str, TaskMapping]:
    """Per question task of one version, what its own texts map it to (see :func:`map_versions`)."""
    questions_by_text: dict[str, set[str]] = {}
    answers_by_text: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        question_text = clean_label(row.question_text)
        if question_text is not None:
            questions_by_text.setdefault(question_text, set()).add(row.question)
        answer_text = clean_label(row.answer_text)
        if answer_text is not None:
            answers_by_text.setdefault((row.question, answer_text), set()).add(row.answer)
    question_aliases: dict[str, set[str]] = {}
    answer_aliases: dict[tuple[str, str], set[str]] = {}
    for alias in aliases:
        label = clean_label(alias.label)
        if label is None:
            continue
        if alias.label_kind == "question":
            question_aliases.setdefault(label, set()).add(alias.question)
        elif alias.label_kind == "answer":
            answer_aliases.setdefault((alias.question, label), set()).add(alias.answer)

    newest = f"the newest version ({schema_version})"
    mapped = {}
    for key, task in read_tasks(version).items():
        if not task.is_question:
            continue
        text = clean_label(task.text)
        found = (question_aliases.get(text) or questions_by_text.get(text) or set()) if text else ()
        if not task.labels:
            reason = "no answers"
        elif text is None:
            reason = "no question text: the models match a task by its text"
        elif len(found) > 1:
            reason = f"its text is the text of several questions of {newest}"
        elif not found:
            reason = f"question text not in {newest}"
        else:
            [question] = found
            mapped[key] = _map_answers(task, question, answers_by_text, answer_aliases, newest)
            continue
        mapped[key] = TaskMapping(task, None, reason)
    return mapped


def _map_answers(
    task: Task,
    question: str,
    answers_by_text: Mapping[tuple[str, str], set[str]],
    answer_aliases: Mapping[tuple[str, str], set[str]],
    newest: str,
) -> TaskMapping:
    """All of a task's answers map to distinct answers of the question, or none counts."""
    missing, meant = [], {}
    for label in task.labels:
        cleaned = clean_label(label)
        key = (question, cleaned or "")
        found = answer_aliases.get(key) or answers_by_text.get(key) or set()
        if len(found) == 1:
            meant.setdefault(next(iter(found)), []).append(label)
        else:
            missing.append(label)
    if missing:
        shown = ", ".join(repr(strip_markdown(label)) for label in missing)
        what = "answer" if len(missing) == 1 else "answers"
        return TaskMapping(task, None, f"{what} {shown} not in {newest}")
    for answer, labels in meant.items():
        if len(labels) > 1:
            shown = " and ".join(repr(strip_markdown(label)) for label in labels)
            return TaskMapping(task, None, f"answers {shown} both mean {question} / {answer}")
    return TaskMapping(task, question)
