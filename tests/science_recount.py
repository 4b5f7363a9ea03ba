"""The science products recomputed in plain Python, to check the dbt models against.

From the counted classifications of tests/recount.py (`counted_classifications`) and the seeds,
without any SQL:
- GZ2-style volunteer weights (Willett et al. 2013): for each counted annotation of a
  single-choice question by a logged-in volunteer, kappa = (1/N) sum_j (f_j if chosen else
  1 - f_j); consistency = mean kappa over all of a volunteer's annotations (schemas pooled);
  weight = min(1, (consistency / 0.6) ^ 8.5); iterated, the first time on unweighted fractions,
  then on the fractions weighted by the previous weights (anonymous volunteers weigh 1);
- weighted votes, totals and fractions per subject, question and answer; the proportion of
  volunteers asked each question (its total votes over the first question's);
- the retirement replay of seeds/retirement_rules.csv and its summary per rule;
- training labels in the zoobot convention, long: one row per schema, galaxy (id_str) and
  answer.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from recount import SEEDS, Counted, read_seed

Subjects = Mapping[tuple[str, int], Mapping[int, Counted]]  # (schema, subject) -> counted
Key = tuple[str, int, str, str]  # schema, subject, question, answer

CONSISTENCY_SCALE = 0.6
WEIGHT_EXPONENT = 8.5


def schema_questions(seeds: Path = SEEDS) -> dict[str, dict[str, list[str]]]:
    """{schema: {question: [answers]}}, questions and answers in seed order."""
    found: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for row in read_seed("question_answer_schema", seeds):
        found[row["schema_name"]].setdefault(row["question"], []).append(row["answer"])
    return dict(found)


def answers_of(votes: Iterable[tuple[str, str]], question: str) -> set[str]:
    return {answer for asked, answer in votes if asked == question}


# --- volunteer weighting ---------------------------------------------------------------------


def weight_of(consistency: float) -> float:
    return min(1.0, (consistency / CONSISTENCY_SCALE) ** WEIGHT_EXPONENT)


def weighted_tallies(
    subjects: Subjects, weights: Mapping[int, float]
) -> dict[tuple[str, int, str], tuple[dict[str, float], float]]:
    """{(schema, subject, question): ({answer: sum of weights}, sum of weights of the
    classifications that answered it)}; anyone without a weight weighs 1."""
    tallies: dict[tuple[str, int, str], tuple[dict[str, float], float]] = {}
    for (schema, subject), counted in subjects.items():
        for classification in counted.values():
            user = classification.user
            weight = 1.0 if user is None else weights.get(user, 1.0)
            for question in {question for question, _ in classification.votes}:
                answers, total = tallies.get((schema, subject, question), ({}, 0.0))
                for answer in answers_of(classification.votes, question):
                    answers[answer] = answers.get(answer, 0.0) + weight
                tallies[(schema, subject, question)] = (answers, total + weight)
    return tallies


def kappa(chosen: set[str], fractions: Mapping[str, float], answers: list[str]) -> float:
    """(1/N) sum_j (f_j if the volunteer chose j else 1 - f_j) over the question's N answers."""
    return sum(
        fractions.get(answer, 0.0) if answer in chosen else 1.0 - fractions.get(answer, 0.0)
        for answer in answers
    ) / len(answers)


@dataclass(frozen=True)
class Weight:
    consistency: float
    weight: float
    annotations: int


def consistencies(
    subjects: Subjects, weights: Mapping[int, float], seeds: Path = SEEDS
) -> dict[int, Weight]:
    """One iteration: each volunteer's consistency and weight from the fractions weighted by
    `weights` (empty: the unweighted fractions)."""
    questions = schema_questions(seeds)
    tallies = weighted_tallies(subjects, weights)
    kappas: dict[int, list[float]] = defaultdict(list)
    for (schema, subject), counted in subjects.items():
        for classification in counted.values():
            if classification.user is None:
                continue
            for question, single in classification.single_choice.items():
                if not single:
                    continue
                votes, total = tallies[(schema, subject, question)]
                fractions = {answer: n / total for answer, n in votes.items()} if total else {}
                chosen = answers_of(classification.votes, question)
                kappas[classification.user].append(
                    kappa(chosen, fractions, questions[schema][question])
                )
    return {
        user: Weight(sum(values) / len(values), weight_of(sum(values) / len(values)), len(values))
        for user, values in kappas.items()
    }


def volunteer_weights(
    subjects: Subjects, iterations: int = 3, seeds: Path = SEEDS
) -> dict[int, Weight]:
    """{user: Weight} of the last iteration, for every volunteer with a counted single-choice
    annotation."""
    result: dict[int, Weight] = {}
    for _ in range(iterations):
        result = consistencies(subjects, {user: w.weight for user, w in result.items()}, seeds)
    return result


@dataclass(frozen=True)
class Weighted:
    weighted_votes: float
    weighted_total_votes: float
    weighted_vote_fraction: float | None


def weighted_votes(
    subjects: Subjects, weights: Mapping[int, Weight], seeds: Path = SEEDS
) -> dict[Key, Weighted]:
    """Every grid row (every answer of the schema, for every subject with a vote in it)."""
    tallies = weighted_tallies(subjects, {user: w.weight for user, w in weights.items()})
    questions = schema_questions(seeds)
    rows = {}
    for schema, subject in subjects:
        for question, answers in questions[schema].items():
            votes, total = tallies.get((schema, subject, question), ({}, 0.0))
            for answer in answers:
                n = votes.get(answer, 0.0)
                rows[(schema, subject, question, answer)] = Weighted(
                    n, total, n / total if total else None
                )
    return rows


def proportion_volunteers_asked(
    counts: Mapping[Key, tuple[int, int]], seeds: Path = SEEDS
) -> dict[Key, float | None]:
    """Per grid row of tests/recount.py's `recount`: the question's total votes over those of
    the schema's first question for the subject (None when that is 0)."""
    first = {
        schema: (question, answers[0])
        for schema, questions in schema_questions(seeds).items()
        for question, answers in [next(iter(questions.items()))]
    }
    result = {}
    for (schema, subject, question, answer), (_, total) in counts.items():
        asked = counts[(schema, subject, *first[schema])][1]
        result[(schema, subject, question, answer)] = total / asked if asked else None
    return result


# --- retirement replay -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    workflow_id: int
    rule_name: str
    kind: str
    question: str | None
    answer: str | None
    threshold: float
    min_classifications: int | None


def retirement_rules(seeds: Path = SEEDS) -> list[Rule]:
    return [
        Rule(
            int(row["workflow_id"]),
            row["rule_name"],
            row["kind"],
            row["question"] or None,
            row["answer"] or None,
            float(row["threshold"]),
            int(row["min_classifications"]) if row["min_classifications"] else None,
        )
        for row in read_seed("retirement_rules", seeds)
    ]


def as_time(value: str | datetime) -> datetime:
    """A created_at as a naive UTC datetime (the API's ISO text, or the landing's datetime)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else _naive_utc(value)
    return _naive_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _naive_utc(value: datetime) -> datetime:
    offset = value.utcoffset()
    return value.replace(tzinfo=None) - offset if offset is not None else value


@dataclass(frozen=True)
class Replayed:
    schema_name: str
    kind: str
    question: str
    retired: bool
    retired_after_classifications: int | None
    retired_at: datetime | None
    classifications: int
    classifications_after_retirement: int
    leading_answer_at_retirement: str | None
    leading_answer_at_end: str | None
    fraction_change: float | None


def leading_answer(votes: Mapping[str, int], answered: int, answers: list[str]) -> str | None:
    """The answer with the most votes, ties to the first in seed order; None if unanswered."""
    if not answered:
        return None
    return min(answers, key=lambda answer: (-votes.get(answer, 0), answers.index(answer)))


def holds(rule: Rule, step: int, votes: Mapping[str, int], answered: int) -> bool:
    """Whether the rule retires a subject after `step` classifications with these tallies of
    its question (votes per answer, classifications that answered it)."""
    if rule.kind == "classification_count":
        return step >= rule.threshold
    if rule.kind == "answer_count":
        return votes.get(rule.answer or "", 0) >= rule.threshold
    if rule.kind == "consensus":
        leading = max(votes.values(), default=0)
        return (
            answered > 0
            and answered >= (rule.min_classifications or 1)
            and leading / answered >= rule.threshold
        )
    return False


def replay_subject(rule: Rule, question: str, answers: list[str], replayed: list[Counted]) -> tuple:
    """(retired step or None, retired_at, leading at retirement, leading at end, largest
    fraction change) for one subject's classifications, in replay order."""
    votes: dict[str, int] = {}
    answered = 0
    retired: tuple | None = None
    for step, classification in enumerate(replayed, start=1):
        chosen = answers_of(classification.votes, question)
        answered += 1 if chosen else 0
        for answer in chosen:
            votes[answer] = votes.get(answer, 0) + 1
        if retired is None and holds(rule, step, votes, answered):
            retired = (step, classification.created_at, dict(votes), answered)
    at_end = leading_answer(votes, answered, answers)
    if retired is None:
        return None, None, None, at_end, None
    step, created_at, votes_then, answered_then = retired
    change = None
    if answered_then:
        change = max(
            abs(votes.get(a, 0) / answered - votes_then.get(a, 0) / answered_then) for a in answers
        )
    return (
        step,
        as_time(created_at),
        leading_answer(votes_then, answered_then, answers),
        at_end,
        change,
    )


def retirement_replay(
    subjects: Subjects, rules: list[Rule] | None = None, seeds: Path = SEEDS
) -> dict[tuple[int, str, int], Replayed]:
    """{(workflow_id, rule_name, subject_id): Replayed} for every rule and every subject with a
    counted classification (one with at least one counted vote) in the rule's workflow."""
    rules = retirement_rules(seeds) if rules is None else rules
    questions = schema_questions(seeds)
    workflow_schemas = defaultdict(set)
    for row in read_seed("workflow_schema", seeds):
        workflow_schemas[int(row["workflow_id"])].add(row["schema_name"])
    result = {}
    for rule in rules:
        for schema in workflow_schemas.get(rule.workflow_id, ()):
            question = rule.question or next(iter(questions[schema]))
            if question not in questions[schema]:
                continue
            answers = questions[schema][question]
            for (counted_schema, subject), counted in subjects.items():
                if counted_schema != schema:
                    continue
                replayed = sorted(
                    (
                        (as_time(c.created_at), cid, c)
                        for cid, c in counted.items()
                        if c.workflow == rule.workflow_id and c.votes
                    ),
                    key=lambda item: item[:2],
                )
                if not replayed:
                    continue
                step, retired_at, at_retirement, at_end, change = replay_subject(
                    rule, question, answers, [c for _, _, c in replayed]
                )
                result[(rule.workflow_id, rule.rule_name, subject)] = Replayed(
                    schema_name=schema,
                    kind=rule.kind,
                    question=question,
                    retired=step is not None,
                    retired_after_classifications=step,
                    retired_at=retired_at,
                    classifications=len(replayed),
                    classifications_after_retirement=len(replayed) - (step or len(replayed)),
                    leading_answer_at_retirement=at_retirement,
                    leading_answer_at_end=at_end,
                    fraction_change=change,
                )
    return result


def quantile(values: list[float], fraction: float) -> float | None:
    """The interpolated quantile (SQL's quantile_cont / percentile): None of no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class RuleSummary:
    kind: str
    question: str | None
    answer: str | None
    threshold: float
    min_classifications: int | None
    subjects: int
    subjects_retired: int
    classifications: int
    classifications_saved: int
    share_saved: float | None
    median_fraction_change: float | None
    p90_fraction_change: float | None
    share_leading_answer_changed: float | None


def replay_summary(
    replay: Mapping[tuple[int, str, int], Replayed], rules: list[Rule] | None = None,
    seeds: Path = SEEDS,
) -> dict[tuple[int, str], RuleSummary]:  # fmt: skip
    """{(workflow_id, rule_name): RuleSummary} for every rule of the seed."""
    rules = retirement_rules(seeds) if rules is None else rules
    result = {}
    for rule in rules:
        rows = [
            row
            for (workflow, name, _), row in replay.items()
            if (workflow, name) == (rule.workflow_id, rule.rule_name)
        ]
        retired = [row for row in rows if row.retired]
        changes = [row.fraction_change for row in retired if row.fraction_change is not None]
        judged = [row for row in retired if row.leading_answer_at_retirement is not None]
        classifications = sum(row.classifications for row in rows)
        saved = sum(row.classifications_after_retirement for row in rows)
        result[(rule.workflow_id, rule.rule_name)] = RuleSummary(
            kind=rule.kind,
            question=rule.question,
            answer=rule.answer,
            threshold=rule.threshold,
            min_classifications=rule.min_classifications,
            subjects=len(rows),
            subjects_retired=len(retired),
            classifications=classifications,
            classifications_saved=saved,
            share_saved=saved / classifications if classifications else None,
            median_fraction_change=quantile(changes, 0.5),
            p90_fraction_change=quantile(changes, 0.9),
            share_leading_answer_changed=(
                sum(row.leading_answer_at_retirement != row.leading_answer_at_end for row in judged)
                / len(judged)
                if judged
                else None
            ),
        )
    return result


# --- training labels -------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectRecord:
    iauname: str | None
    ra: float | None
    dec: float | None
    image_url: str | None


def metadata_field(metadata: Mapping[str, Any], name: str) -> str | None:
    """A metadata value as text, whatever the key's hidden-field prefix (`!`, `#`, `/`) or
    case: the first key that matches."""
    for key, value in metadata.items():
        if key.lstrip("!#/").lower() == name.lower():
            return None if value is None else value if isinstance(value, str) else json.dumps(value)
    return None


def first_location_url(locations: Any) -> str | None:
    """API locations are [{"image/png": url}, ...], export locations {"0": url, ...}."""
    if isinstance(locations, list) and locations and isinstance(locations[0], dict):
        return next(iter(locations[0].values()), None)
    if isinstance(locations, dict):
        return next(iter(locations.values()), None)
    return None


def _as_float(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def subject_record(metadata: Mapping[str, Any], locations: Any) -> SubjectRecord:
    return SubjectRecord(
        metadata_field(metadata, "iauname"),
        _as_float(metadata_field(metadata, "ra")),
        _as_float(metadata_field(metadata, "dec")),
        first_location_url(locations),
    )


def campaign_suffixes(seeds: Path = SEEDS) -> dict[str, str]:
    return {
        row["schema_name"]: row["campaign_suffix"] or ""
        for row in read_seed("schema_campaigns", seeds)
    }


@dataclass(frozen=True)
class Label:
    iauname: str | None
    ra: float | None
    dec: float | None
    file_loc: str | None
    subjects: int
    label: str
    total_label: str
    votes: int
    total_votes: int
    question_order: int
    answer_order: int


def id_str(subject: int, record: SubjectRecord | None) -> str:
    """The subject's iauname (trimmed, if not empty), else its subject id as text."""
    name = (record.iauname or "").strip() if record else ""
    return name or str(subject)


def training_labels(
    counts: Mapping[Key, tuple[int, int]],
    records: Mapping[int, SubjectRecord],
    seeds: Path = SEEDS,
) -> dict[tuple[str, str, str, str], Label]:
    """{(schema, id_str, question, answer): Label} from tests/recount.py's `recount` grid:
    the votes of a schema's subjects sharing an id_str summed; the galaxy's position and image
    those of its lowest subject id that has them."""
    questions = schema_questions(seeds)
    suffixes = campaign_suffixes(seeds)
    galaxies: dict[tuple[str, str], list[int]] = defaultdict(list)
    for schema, subject in sorted({(schema, subject) for schema, subject, _, _ in counts}):
        galaxies[(schema, id_str(subject, records.get(subject)))].append(subject)
    labels = {}
    for (schema, galaxy), members in galaxies.items():
        found = [records[s] for s in members if s in records]

        def first(values: list[Any]) -> Any:
            return next((value for value in values if value is not None), None)

        names = [(r.iauname or "").strip() for r in found if (r.iauname or "").strip()]
        suffix = suffixes.get(schema, "")
        for question_order, (question, answers) in enumerate(questions[schema].items(), 1):
            for answer_order, answer in enumerate(answers, 1):
                rows = [counts[(schema, s, question, answer)] for s in members]
                labels[(schema, galaxy, question, answer)] = Label(
                    iauname=max(names) if names else None,
                    ra=first([r.ra for r in found]),
                    dec=first([r.dec for r in found]),
                    file_loc=first([r.image_url for r in found]),
                    subjects=len(members),
                    label=f"{question}{suffix}_{answer}",
                    total_label=f"{question}{suffix}_total-votes",
                    votes=sum(votes for votes, _ in rows),
                    total_votes=sum(total for _, total in rows),
                    question_order=question_order,
                    answer_order=answer_order,
                )
    return labels
