"""A workflow that is not Galaxy Zoo, for the onboarding tests (test_onboarding.py, and
test_spark.py on Spark): workflow 4242 asks T0 (single choice), then T1, a dropdown with fixed
options, then T2, a cascading dropdown whose second select takes the volunteer's own text. Its
versions 1.5 and 2.10 carry a typo in T0's question that 2.11 fixed. ``copy_project`` gives a
copy of the dbt project with its schema ``supernova_sky`` as seed rows, and ``misread_sky``, the
same tree with two answer indices swapped and the question under the wrong parent answer."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from conftest import PROJECT_ID, PROJECT_ROOT

WORKFLOW = 4242
RISING = "Has the lightcurve been rising for more than 20 days?"
TYPO = "Has the lightcurve been risng for more than 20 days?"
CONSTELLATION = "Which constellation is the host in?"
SCHEMA_ROWS = [
    # schema_name, question, question_text, answer, answer_text, answer_index, parent q, parent a
    ["supernova_sky", "rising", RISING, "yes", "Yes", 0, "", ""],
    ["supernova_sky", "rising", RISING, "no", "No", 1, "", ""],
    ["supernova_sky", "constellation", CONSTELLATION, "orion", "Orion", 0, "rising", "yes"],
    ["supernova_sky", "constellation", CONSTELLATION, "lyra", "Lyra", 1, "rising", "yes"],
    ["supernova_sky", "constellation", CONSTELLATION, "cygnus", "Cygnus", 2, "rising", "yes"],
    # the same tree misread: Lyra and Cygnus swapped, the question under the wrong answer
    ["misread_sky", "rising", RISING, "yes", "Yes", 0, "", ""],
    ["misread_sky", "rising", RISING, "no", "No", 1, "", ""],
    ["misread_sky", "constellation", CONSTELLATION, "orion", "Orion", 0, "rising", "no"],
    ["misread_sky", "constellation", CONSTELLATION, "lyra", "Lyra", 2, "rising", "no"],
    ["misread_sky", "constellation", CONSTELLATION, "cygnus", "Cygnus", 1, "rising", "no"],
]


def version(major: int, minor: int, question: str) -> dict:
    """A ``/workflow_versions`` resource, its labels keys into its strings, as Panoptes has them."""
    option = "T{}.selects.{}.options.{}.{}.label".format
    tasks = {
        "T0": {
            "help": "T0.help", "type": "single", "question": "T0.question", "required": True,
            "answers": [
                {"label": "T0.answers.0.label", "next": "T1"}, {"label": "T0.answers.1.label"},
            ],
        },
        "T1": {
            "help": "T1.help", "type": "dropdown", "instruction": "T1.instruction", "next": "T2",
            "selects": [{
                "id": "c0n5", "title": "T1.selects.0.title", "required": False,
                "allowCreate": False,
                "options": {"*": [
                    {"label": option(1, 0, "*", 0), "value": "ori"},
                    {"label": option(1, 0, "*", 1), "value": "lyr"},
                    {"label": option(1, 0, "*", 2), "value": 7},
                ]},
            }],
        },
        "T2": {
            "help": "T2.help", "type": "dropdown", "instruction": "T2.instruction",
            "selects": [
                {
                    "id": "ctry", "title": "T2.selects.0.title", "required": False,
                    "allowCreate": False,
                    "options": {"*": [
                        {"label": option(2, 0, "*", 0), "value": "cl"},
                        {"label": option(2, 0, "*", 1), "value": "es"},
                    ]},
                },
                {
                    "id": "obs", "title": "T2.selects.1.title", "condition": "ctry",
                    "required": False, "allowCreate": True,
                    "options": {
                        "cl": [{"label": option(2, 1, "cl", 0), "value": "paranal"}],
                        "es": [{"label": option(2, 1, "es", 0), "value": "teide"}],
                    },
                },
            ],
        },
    }  # fmt: skip
    strings = {
        "T0.help": "", "T1.help": "", "T2.help": "",
        "T0.question": question, "T0.answers.0.label": "Yes", "T0.answers.1.label": "No",
        "T1.instruction": "Pick the constellation.", "T1.selects.0.title": CONSTELLATION,
        option(1, 0, "*", 0): "Orion", option(1, 0, "*", 1): "Lyra",
        option(1, 0, "*", 2): "Cygnus",
        "T2.instruction": "Where was it seen from?", "T2.selects.0.title": "Country",
        "T2.selects.1.title": "Observatory", option(2, 0, "*", 0): "Chile",
        option(2, 0, "*", 1): "Spain", option(2, 1, "cl", 0): "Paranal",
        option(2, 1, "es", 0): "Teide",
    }  # fmt: skip
    return {
        "id": str(90_000 + major * 100 + minor), "href": f"/workflow_versions/{major}{minor}",
        "created_at": "2024-01-01T00:00:00.000Z", "updated_at": "2024-01-01T00:00:00.000Z",
        "major_number": major, "minor_number": minor, "grouped": False, "pairwise": False,
        "prioritized": False, "tasks": tasks, "first_task": "T0", "strings": strings,
    }  # fmt: skip


def copy_project(target: Path) -> Path:
    """The dbt project with this schema's seed rows added."""
    for item in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt"):
        source, destination = PROJECT_ROOT / item, target / item
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, destination)
    seeds = target / "seeds"
    with (seeds / "question_answer_schema.csv").open("a", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(SCHEMA_ROWS)
    with (seeds / "workflow_schema.csv").open("a", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(
            [[schema, PROJECT_ID, WORKFLOW, "Supernova sky", "", ""]
             for schema in ("supernova_sky", "misread_sky")]
        )  # fmt: skip
    return target


def versions() -> list[dict]:
    return [version(1, 5, TYPO), version(2, 10, TYPO), version(2, 11, RISING)]
