"""Decision trees to seed rows (warehouse.workflow_tree) and the text rules under them
(warehouse.labels): pure functions, on small hand-made versions and on every fixture version."""

from __future__ import annotations

import duckdb
import jinja2
import pytest
from conftest import PROJECT_ROOT

from standin import sample
from warehouse.labels import clean_label, slug, strip_markdown
from warehouse.schema_init import versions_from_export
from warehouse.workflow_tree import (
    ANSWER_SLUG_MAX,
    QUESTION_SLUG_MAX,
    Schema,
    WorkflowVersion,
    build_schema,
    map_version,
    map_versions,
    newest,
    placements,
    read_tasks,
    tree_order,
)

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"


def version(tasks: dict, strings: dict | None = None, number: str = "1.1", first: str = "T0"):
    major, minor = (int(part) for part in number.split("."))
    return WorkflowVersion(99, major, minor, tasks, strings or {}, first)


def single(text: str, *answers: str | tuple[str, str], **extra) -> dict:
    """A single-choice task; an answer given as (label, next) leads on."""
    return {
        "type": "single",
        "question": text,
        "answers": [
            {"label": a[0], "next": a[1]} if isinstance(a, tuple) else {"label": a} for a in answers
        ],
        **extra,
    }


def questions(schema: Schema) -> dict[str, tuple]:
    """{question: (task, parent_question, parent_answer, [answers])}."""
    return {
        q.name: (q.task.key, q.parent_question, q.parent_answer, [a.name for a in q.answers])
        for q in schema.questions
    }


# -- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("**Rising?**\n\nNOTE: smaller is *brighter*!", "Rising? NOTE: smaller is brighter!"),
        ("Is it good?\n*not all are, tell us why*", "Is it good? not all are, tell us why"),
        ("# Heading\n## Sub heading\nText", "Heading Sub heading Text"),
        ("![smooth.png](https://x.org/a.png) Smooth", "Smooth"),
        ("See [the guide](https://x.org/guide) first", "See the guide first"),
        ("***both*** and __strong__ and _em_ and ~~gone~~", "both and strong and em and gone"),
        ("snake_case_name and 5 * 3 * 2", "snake_case_name and 5 * 3 * 2"),
        ("  spaced \t out\r\n  ", "spaced out"),
        (None, ""),
    ],
)  # fmt: skip
def test_markdown_is_shown_as_plain_text_on_one_line(text, plain):
    assert strip_markdown(text) == plain


TRICKY_LABELS = [
    "![x.png](https://a.b/x.png) Features or  Disk",
    "**Bold** answer",
    " \x0b x \t\n y ",
    "a\u00a0b",
    "\u2003x\u2003",
    "ÀÉ Ünï",
    "",
    "   ",
    "![only an image](u)",
    "![a](b![c](d))",
    None,
]


def test_clean_label_is_the_macro_character_for_character():
    """The macro in macros/votes/labels.sql, rendered with DuckDB's replace_all, on DuckDB."""
    macros = (PROJECT_ROOT / "macros" / "votes" / "labels.sql").read_text()
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    environment.globals["replace_all"] = lambda expression, pattern, replacement: (
        f"regexp_replace({expression}, {pattern}, {replacement}, 'g')"
    )
    sql = environment.from_string(macros + "{{ clean_label('$text') }}").render().strip()
    with duckdb.connect() as con:
        for label in TRICKY_LABELS:
            [(cleaned,)] = con.execute(f"select {sql}", {"text": label}).fetchall()
            assert clean_label(label) == cleaned, repr(label)


def test_slugs_are_ascii_words_joined_by_dashes_and_cut_at_a_word():
    assert (
        slug("Is the galaxy  merging -- or DISTURBED?", 40) == "is-the-galaxy-merging-or-disturbed"
    )
    assert slug("Ça va? Ünïcødé façade", 40) == "ca-va-unicode-facade"
    assert slug("20-60%", 22) == "20-60"
    assert slug("Has the lightcurve been rising for more than 20 days?", 32) == (
        "has-the-lightcurve-been-rising"
    )
    assert slug("???", 10) == ""


# -- names ------------------------------------------------------------------------------------


def test_question_and_answer_names_are_unique_slugs():
    schema = build_schema(
        "s",
        version({
            "T0": single("Is it **round**?", ("Yes", "T1"), "yes", "No!"),
            "T1": single("Is it round?", "A", "B"),
            "T2": single("", "A"),
            "T3": single("What is the density of the surface rubble in this image?", "X"),
        }, first="T0"),
    )  # fmt: skip
    assert questions(schema) == {
        "is-it-round": ("T0", "", "", ["yes", "yes-2", "no"]),
        "is-it-round-t1": ("T1", "is-it-round", "yes", ["a", "b"]),
        "t2": ("T2", "", "", ["a"]),
        "what-is-the-density-of-the": ("T3", "", "", ["x"]),
    }
    longest = max(
        len(f"{q.name}_{a.name}_fraction_min") for q in schema.questions for a in q.answers
    )
    assert longest <= QUESTION_SLUG_MAX + ANSWER_SLUG_MAX + len("__fraction_min") <= 68


def test_texts_are_plain_and_match_the_markdown_source_without_an_alias():
    schema = build_schema(
        "s",
        version({
            "T0": single("T0.question", "T0.answers.0.label", "T0.answers.1.label"),
        }, {
            "T0.question": "**Is it rising?**\n\nNOTE: *really*",
            "T0.answers.0.label": "![yes.png](https://x/y.png) Yes",
            "T0.answers.1.label": "[No](https://x/no)",
        }),
    )  # fmt: skip
    [question] = schema.questions
    assert question.text == "Is it rising? NOTE: really"
    assert [(a.name, a.text) for a in question.answers] == [("yes", "Yes"), ("no", "No")]
    # the models clean markdown away as schema init renders it: the plain text matches as is
    assert schema.aliases == ()


# -- the tree ---------------------------------------------------------------------------------


def test_parents_through_tasks_that_are_not_questions():
    schema = build_schema(
        "s",
        version({
            "T0": single("Good enough?", ("Yes", "T1"), "No"),
            "T1": {"type": "drawing", "instruction": "Mark it", "tools": [], "next": "T2"},
            "T2": {"type": "text", "instruction": "Say", "next": "T3"},
            "T3": single("Density?", ("Low", "T4"), ("High", "T5")),
            "T4": single("Made of?", "Sand", "Mud"),
            "T5": {"type": "survey", "choices": {}},
        }),
    )  # fmt: skip
    assert questions(schema) == {
        "good-enough": ("T0", "", "", ["yes", "no"]),
        "density": ("T3", "good-enough", "yes", ["low", "high"]),
        "made-of": ("T4", "density", "low", ["sand", "mud"]),
    }


def test_after_a_multiple_choice_parent_or_any_answer_the_parent_answer_is_blank():
    schema = build_schema(
        "s",
        version({
            "T0": single("Features?", ("Yes", "T1"), ("No", "T1")),
            "T1": {"type": "multiple", "question": "Which?", "next": "T2",
                   "answers": [{"label": "Ring"}, {"label": "Lens"}]},
            "T2": single("Merging?", "Yes", "No"),
        }),
    )  # fmt: skip
    assert questions(schema) == {
        "features": ("T0", "", "", ["yes", "no"]),
        "which": ("T1", "features", "", ["ring", "lens"]),
        "merging": ("T2", "which", "", ["yes", "no"]),
    }


def test_a_question_reached_by_several_paths_hangs_below_what_they_all_pass():
    """Galaxy Zoo's bulge question: after 'no spiral arms', or after the two spiral questions;
    so after any answer of the spiral-arm question. One reached after two of three answers of
    its parent stays a root (a seed row names one parent answer)."""
    placed = placements(
        version({
            "T0": single("Shape?", ("Smooth", "T9"), ("Disk", "T5"), "Star"),
            "T5": single("Spiral arms?", ("Yes", "T6"), ("No", "T8")),
            "T6": single("Winding?", ("Tight", "T7"), ("Loose", "T7")),
            "T7": single("How many?", ("1", "T8"), ("2", "T8")),
            "T8": single("Bulge?", ("None", "T9"), ("Big", "T9")),
            "T9": single("Merging?", "Yes", "No"),
        }),
    )  # fmt: skip
    assert (placed["T8"].parent, placed["T8"].answer) == ("T5", None)
    assert (placed["T7"].parent, placed["T7"].answer) == ("T6", None)
    assert (placed["T6"].parent, placed["T6"].answer) == ("T5", 0)
    assert placed["T9"].parent is None
    assert "answers 0, 1 of T0" in placed["T9"].note


def test_a_shortcut_sits_where_the_task_that_links_it_sits():
    schema = build_schema(
        "s",
        version({
            "T0": single("Anything?", ("Yes", "T1"), "No"),
            "T1": single("What?", "Star", "Galaxy", unlinkedTask="T2"),
            "T2": {"type": "shortcut", "question": "Or", "answers": [{"label": "Nothing here"}]},
            "T3": {"type": "combo", "tasks": ["T4"]},
            "T4": single("Combined?", "A"),
        }),
    )  # fmt: skip
    assert questions(schema) == {
        "anything": ("T0", "", "", ["yes", "no"]),
        "what": ("T1", "anything", "yes", ["star", "galaxy"]),
        "or": ("T2", "anything", "yes", ["nothing-here"]),
        "combined": ("T4", "", "", ["a"]),
    }


def test_a_shortcut_without_a_question_is_asked_as_the_question_that_shows_it():
    schema = build_schema(
        "s",
        version({
            "T0": single("Anything odd?", "Ring", "Lens", unlinkedTask="T1"),
            "T1": {"type": "shortcut", "answers": [{"label": "Nothing odd"}]},
        }),
    )  # fmt: skip
    texts = {q.name: (q.text, [a.text for a in q.answers]) for q in schema.questions}
    assert texts == {
        "anything-odd": ("Anything odd?", ["Ring", "Lens"]),
        "anything-odd-shortcut": ("Anything odd? (shortcut)", ["Nothing odd"]),
    }


def dropdown(select: dict, instruction: str = "Pick one") -> dict:
    return {"type": "dropdown", "instruction": instruction, "selects": [select]}


def test_a_dropdown_with_fixed_options_is_a_question_whose_answers_are_its_options():
    fixed = {
        "id": "a1", "title": "T0.selects.0.title", "allowCreate": False, "required": True,
        "options": {"*": [{"label": "T0.selects.0.options.*.0.label", "value": "v0"},
                          {"label": "T0.selects.0.options.*.1.label", "value": "v1"}]},
    }  # fmt: skip
    strings = {"T0.selects.0.title": "Which country?",
               "T0.selects.0.options.*.0.label": "France",
               "T0.selects.0.options.*.1.label": "Spain"}  # fmt: skip
    tasks = {
        "T0": {**dropdown(fixed), "next": "T1"},
        "T1": dropdown({**fixed, "allowCreate": True}),
        "T2": dropdown({**fixed, "options": {"*": [], "v0": []}}),
        "T3": {"type": "dropdown", "instruction": "Two", "selects": [fixed, fixed]},
        "T4": dropdown({**fixed, "title": ""}, instruction="Where is it?"),
    }
    read = read_tasks(version(tasks, strings))
    assert read["T0"].is_question and read["T0"].labels == ("France", "Spain")
    assert read["T0"].text == "Which country?"
    assert read["T4"].text == "Where is it?"  # no title: the instruction
    assert [read[k].is_question for k in ("T1", "T2", "T3")] == [False, False, False]
    assert "type a value" in read["T1"].note
    schema = build_schema("s", version(tasks, strings))
    assert questions(schema)["which-country"] == ("T0", "", "", ["france", "spain"])
    assert [row.answer_index for row in schema.seed_rows()][:2] == ["0", "1"]
    assert questions(schema)["where-is-it"][1:3] == ("", "")


def test_the_newest_version_compares_major_and_minor_as_integers():
    versions = [version({}, number=n) for n in ("16.6", "16.55", "9.100", "15.99")]
    assert newest(versions).version == "16.55"


def test_tasks_come_in_the_order_volunteers_meet_them():
    assert tree_order(
        version({
            "T1": single("b", ("x", "T11")),
            "T0": single("a", ("x", "T1"), ("y", "T2")),
            "T2": single("c", ("x", "T11")),
            "T10": single("e"),
            "T11": single("d", ("x", "T10")),
        })
    ) == ["T0", "T1", "T2", "T11", "T10"]  # fmt: skip


# -- what maps --------------------------------------------------------------------------------


def test_older_versions_map_by_text_and_say_why_not():
    schema_version = version(
        {"T0": single("Rising?", ("Yes", "T1"), "No"), "T1": single("Near a galaxy?", "Yes", "No")},
        number="16.55",
    )  # fmt: skip
    schema = build_schema("s", schema_version)
    older = version(
        {"T0": single("Rising?", ("Yes", "T1"), "No", "Maybe"), "T1": single("Near?", "Yes", "No")},
        number="15.2",
    )  # fmt: skip
    typo = version(
        {"T0": single("Risign?", ("Yes", "T1"), "No"), "T1": single("Near a galaxy?", "Yes", "No")},
        number="16.54",
    )  # fmt: skip
    mapped = map_versions(
        [older, typo, schema_version], schema.seed_rows(), schema.aliases, "16.55"
    )
    assert mapped[(15, 2)]["T0"].reason == "answer 'Maybe' not in the newest version (16.55)"
    assert mapped[(15, 2)]["T1"].reason == "question text not in the newest version (16.55)"
    # a minor version edits text only: 16.54's T0 maps as 16.55's does
    assert (mapped[(16, 54)]["T0"].question, mapped[(16, 54)]["T0"].by) == ("rising", "16.55")
    assert mapped[(16, 55)]["T1"].question == "near-a-galaxy"


def fixture_versions() -> list[WorkflowVersion]:
    found = [
        *versions_from_export(FIXTURES / "slsn-workflows.csv", 10).versions,
        *versions_from_export(FIXTURES / "fossil-finder-workflows.csv", 371).versions,
        *versions_from_export(FIXTURES / "fossil-finder-workflows.csv", 1962).versions,
    ]
    for resource in sample.workflow_6122_versions():
        found.append(
            WorkflowVersion(6122, int(resource["major_number"]), int(resource["minor_number"]),
                            resource["tasks"], resource.get("strings") or {},
                            resource.get("first_task"))
        )  # fmt: skip
    return found


@pytest.mark.parametrize(
    "fixture", fixture_versions(), ids=lambda v: f"workflow-{v.workflow_id}-{v.version}"
)
def test_every_written_row_maps_back_to_its_version(fixture):
    """Each written row's text (or, where markdown made them differ, its alias's), cleaned as
    the models clean it, is the version's cleaned text; so every question task maps."""
    schema = build_schema("s", fixture)
    tasks = read_tasks(fixture)
    question_aliases = {a.question: a.label for a in schema.aliases if a.label_kind == "question"}
    answer_aliases = {
        (a.question, a.answer): a.label for a in schema.aliases if a.label_kind == "answer"
    }
    assert schema.questions
    for row in schema.seed_rows():
        question = next(q for q in schema.questions if q.name == row.question)
        task = tasks[question.task.key]
        matched = question_aliases.get(row.question, row.question_text)
        assert clean_label(matched) == clean_label(task.text) is not None
        label = task.labels[int(row.answer_index)]
        matched = answer_aliases.get((row.question, row.answer), row.answer_text)
        assert clean_label(matched) == clean_label(label) is not None
    mapped = map_version(fixture, schema.seed_rows(), schema.aliases, fixture.version)
    assert {key: m.question for key, m in mapped.items()} == {
        q.task.key: q.name for q in schema.questions
    }
