"""The formulas of tests/science_recount.py on small hand-made cases worked out by hand: the
end-to-end test (tests/integration/test_warehouse.py) trusts them to check the marts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import science_recount as science
from recount import Counted

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SCHEMA = "gz_decals_dr5"
FIRST = "smooth-or-featured"  # smooth, featured-or-disk, artifact
MULTIPLE = "rare-features"


def counted(
    user: int | None, *votes: tuple[str, str], minute: int = 0, multiple: tuple[str, ...] = ()
) -> Counted:
    questions = {question for question, _ in votes}
    return Counted(
        frozenset(votes),
        f"2020-01-01T00:{minute:02d}:00.000Z",
        user,
        6122,
        {question: question not in multiple for question in questions},
    )


def subjects(*per_subject: list[Counted]) -> dict[tuple[str, int], dict[int, Counted]]:
    cid = iter(range(1, 1000))
    return {
        (SCHEMA, subject): {next(cid): c for c in classifications}
        for subject, classifications in enumerate(per_subject, start=1)
    }


def test_kappa_is_the_mean_agreement_over_the_answers():
    # f = (0.5, 0.25, 0.25), chose smooth: (0.5 + 0.75 + 0.75) / 3
    fractions = {"smooth": 0.5, "featured-or-disk": 0.25, "artifact": 0.25}
    answers = ["smooth", "featured-or-disk", "artifact"]
    assert science.kappa({"smooth"}, fractions, answers) == pytest.approx(2 / 3)
    # chose artifact: (0.5 + 0.75 + 0.25) / 3
    assert science.kappa({"artifact"}, fractions, answers) == pytest.approx(0.5)


def test_the_weight_is_capped_at_one():
    assert science.weight_of(0.6) == 1.0
    assert science.weight_of(0.9) == 1.0
    assert science.weight_of(0.3) == pytest.approx(0.5**8.5)


def test_one_iteration_uses_the_unweighted_fractions():
    # one subject: users 1, 2, 3 say smooth, user 4 artifact, an anonymous volunteer smooth
    one = subjects(
        [counted(u, (FIRST, "smooth")) for u in (1, 2, 3)]
        + [counted(4, (FIRST, "artifact")), counted(None, (FIRST, "smooth"))]
    )
    weights = science.volunteer_weights(one, iterations=1, seeds=SEEDS)
    # f = (0.8, 0, 0.2): smooth (0.8 + 1 + 0.8) / 3, artifact (0.2 + 1 + 0.2) / 3
    assert set(weights) == {1, 2, 3, 4}
    assert weights[1].consistency == pytest.approx(2.6 / 3)
    assert weights[1].weight == 1.0
    assert weights[4].consistency == pytest.approx(1.4 / 3)
    assert weights[4].weight == pytest.approx((1.4 / 3 / 0.6) ** 8.5)
    assert weights[4].annotations == 1


def test_the_next_iteration_uses_the_weighted_fractions():
    one = subjects(
        [counted(u, (FIRST, "smooth")) for u in (1, 2, 3)] + [counted(4, (FIRST, "artifact"))]
    )
    w4 = (((0.25 + 1 + 0.25) / 3) / 0.6) ** 8.5  # f = (0.75, 0, 0.25)
    f_artifact = w4 / (3 + w4)
    second = science.volunteer_weights(one, iterations=2, seeds=SEEDS)
    assert second[4].consistency == pytest.approx((2 * f_artifact + 1) / 3)
    assert second[1].consistency == pytest.approx((2 * (1 - f_artifact) + 1) / 3)
    assert second[4].weight == pytest.approx(((2 * f_artifact + 1) / 3 / 0.6) ** 8.5)
    rows = science.weighted_votes(one, second, seeds=SEEDS)
    artifact = rows[(SCHEMA, 1, FIRST, "artifact")]
    assert artifact.weighted_votes == pytest.approx(second[4].weight)
    assert artifact.weighted_total_votes == pytest.approx(3 + second[4].weight)
    assert rows[(SCHEMA, 1, FIRST, "featured-or-disk")].weighted_vote_fraction == 0.0
    assert rows[(SCHEMA, 1, "how-rounded", "round")].weighted_vote_fraction is None


def test_consistency_pools_subjects_and_leaves_multiple_choice_out():
    data = subjects(
        [counted(1, (FIRST, "smooth"), (MULTIPLE, "ring"), multiple=(MULTIPLE,))],
        [counted(1, (FIRST, "artifact")), counted(2, (FIRST, "smooth"))],
    )
    weights = science.volunteer_weights(data, iterations=1, seeds=SEEDS)
    # subject 1: f = (1, 0, 0), kappa 1; subject 2: f = (0.5, 0, 0.5), kappa (0.5 + 1 + 0.5) / 3
    assert weights[1].annotations == 2
    assert weights[1].consistency == pytest.approx((1 + 2 / 3) / 2)


def test_a_volunteer_with_only_multiple_choice_answers_has_no_weight_row():
    data = subjects([counted(7, (MULTIPLE, "ring"), multiple=(MULTIPLE,))])
    assert science.volunteer_weights(data, seeds=SEEDS) == {}


def test_proportion_asked_is_the_questions_total_over_the_first_questions():
    counts = {
        (SCHEMA, 1, FIRST, "smooth"): (3, 4),
        (SCHEMA, 1, FIRST, "featured-or-disk"): (1, 4),
        (SCHEMA, 1, "how-rounded", "round"): (1, 3),
        (SCHEMA, 2, FIRST, "smooth"): (0, 0),
        (SCHEMA, 2, "how-rounded", "round"): (0, 0),
    }
    asked = science.proportion_volunteers_asked(counts, seeds=SEEDS)
    assert asked[(SCHEMA, 1, FIRST, "featured-or-disk")] == 1.0
    assert asked[(SCHEMA, 1, "how-rounded", "round")] == 0.75
    assert asked[(SCHEMA, 2, "how-rounded", "round")] is None


ANSWERS = ["smooth", "featured-or-disk", "artifact"]


def rule(kind: str, threshold: float, answer: str | None = None, minimum: int | None = None):
    question = None if kind == "classification_count" else FIRST
    return science.Rule(6122, kind, kind, question, answer, threshold, minimum)


def replay(the_rule: science.Rule, answers: list[str]) -> science.Replayed:
    # given out of order: replayed by created_at
    classifications = [counted(i, (FIRST, a), minute=i) for i, a in enumerate(answers)]
    data = subjects(list(reversed(classifications)))
    return science.retirement_replay(data, [the_rule], seeds=SEEDS)[(6122, the_rule.kind, 1)]


def test_classification_count_retires_after_the_threshold():
    row = replay(rule("classification_count", 3), ["artifact", "smooth", "smooth", "smooth"])
    assert row.retired and row.retired_after_classifications == 3
    assert row.retired_at == datetime(2020, 1, 1, 0, 2)
    assert row.classifications_after_retirement == 1
    # at 3: (1/3, 0, 2/3)... artifact 1, smooth 2 -> smooth leads; at the end smooth 3/4
    assert row.leading_answer_at_retirement == "smooth"
    assert row.leading_answer_at_end == "smooth"
    assert row.fraction_change == pytest.approx(3 / 4 - 2 / 3)
    assert row.question == FIRST  # the tree's first question when the rule names none


def test_answer_count_retires_once_the_answer_has_enough_votes():
    row = replay(rule("answer_count", 2, "artifact"), ["artifact", "smooth", "artifact", "smooth"])
    assert row.retired_after_classifications == 3
    assert row.leading_answer_at_retirement == "artifact"
    # the end is a tie 2-2: seed order puts smooth first
    assert row.leading_answer_at_end == "smooth"
    assert row.fraction_change == pytest.approx(2 / 3 - 1 / 2)


def test_consensus_needs_the_minimum_and_the_fraction():
    answers = ["smooth", "smooth", "artifact", "smooth", "smooth", "smooth"]
    # 0.75 reached at 4 (3 of 4), but only from 5 answers on: 4 of 5 = 0.8 >= 0.75
    row = replay(rule("consensus", 0.75, minimum=5), answers)
    assert row.retired_after_classifications == 5
    assert replay(rule("consensus", 0.75), answers).retired_after_classifications == 1


def test_a_subject_never_retired_keeps_nulls_but_its_final_leader():
    row = replay(rule("answer_count", 5, "artifact"), ["smooth", "artifact"])
    assert not row.retired
    assert row.retired_after_classifications is None and row.retired_at is None
    assert row.classifications_after_retirement == 0
    assert row.leading_answer_at_retirement is None and row.fraction_change is None
    assert row.leading_answer_at_end == "smooth"  # 1-1: seed order


def test_the_summary_interpolates_the_quantiles():
    assert science.quantile([0.0, 1.0], 0.9) == pytest.approx(0.9)
    assert science.quantile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert science.quantile([0.0, 0.1, 0.2, 0.4], 0.9) == pytest.approx(0.34)
    assert science.quantile([], 0.5) is None
    replayed = {
        (6122, "r", 1): replay(rule("classification_count", 3), ["smooth", "artifact", "smooth"]),
        (6122, "r", 2): replay(rule("classification_count", 3), ["smooth", "smooth"]),
    }
    [summary] = science.replay_summary(
        replayed, [science.Rule(6122, "r", "classification_count", None, None, 3, None)]
    ).values()
    assert (summary.subjects, summary.subjects_retired) == (2, 1)
    assert (summary.classifications, summary.classifications_saved) == (5, 0)
    assert summary.median_fraction_change == 0.0
    assert summary.share_leading_answer_changed == 0.0


def test_training_labels_sum_the_subjects_of_one_galaxy():
    grid = {
        (SCHEMA, s, q, a): votes
        for s, votes_by_answer in ((1, (2, 1, 0)), (2, (1, 0, 0)), (3, (0, 0, 1)))
        for q, answers in science.schema_questions(SEEDS)[SCHEMA].items()
        for a, votes in zip(
            answers,
            [(v, sum(votes_by_answer)) for v in votes_by_answer] if q == FIRST else
            [(0, 0)] * len(answers),
            strict=False,
        )
    }  # fmt: skip
    records = {
        1: science.SubjectRecord("J1", None, 2.0, "a.png"),
        2: science.SubjectRecord(" J1 ", 10.0, 3.0, None),
        3: science.SubjectRecord("  ", 11.0, 4.0, "c.png"),
    }
    labels = science.training_labels(grid, records, seeds=SEEDS)
    smooth = labels[(SCHEMA, "J1", FIRST, "smooth")]
    assert (smooth.votes, smooth.total_votes, smooth.subjects) == (3, 4, 2)
    assert (smooth.ra, smooth.dec, smooth.file_loc) == (10.0, 2.0, "a.png")
    assert smooth.label == "smooth-or-featured-dr5_smooth"
    assert smooth.total_label == "smooth-or-featured-dr5_total-votes"
    assert (smooth.question_order, smooth.answer_order) == (1, 1)
    alone = labels[(SCHEMA, "3", FIRST, "artifact")]
    assert (alone.votes, alone.iauname, alone.answer_order) == (1, None, 3)


def test_subject_records_read_any_key_spelling():
    record = science.subject_record(
        {"!RA": 1.5, "#dec": "-2.25", "iauname": "J000"}, [{"image/png": "https://x/1.png"}]
    )
    assert record == science.SubjectRecord("J000", 1.5, -2.25, "https://x/1.png")
    assert science.first_location_url({"0": "a.jpg", "1": "b.jpg"}) == "a.jpg"
