"""Names from seeds become SQL identifiers and literals: any character must be harmless.

A copy of the project gets a schema whose question and answer names hold quotes, a semicolon
and an SQL comment, fed by workflow 6122's first question; its one-line catalogue model must
build and carry the same counts as the GZ DECaLS DR5 catalogue.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, WORKFLOW_ID, run_dbt, run_ingest, standin_server

from standin import sample
from standin.server import StandInData

# several dbt builds in a row: `make test-slow` (run by .ci/run after the default tests)
pytestmark = [pytest.mark.dbt, pytest.mark.slow]

QUESTION = 'it\'s "odd"'
ANSWERS = {"smooth": "a'; drop table vote_counts; --", "featured-or-disk": 'b "quoted"',
           "artifact": "c -- comment"}  # fmt: skip
TEXTS = {"smooth": "Smooth", "featured-or-disk": "Features or Disk", "artifact": "Star or Artifact"}


def copy_project(target: Path) -> Path:
    for item in ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt"):
        source = PROJECT_ROOT / item
        destination = target / item
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, destination)
    return target


def test_seed_names_with_quotes_and_sql_in_them_are_quoted(tmp_path):
    project = copy_project(tmp_path / "project")
    question_text = "Is the galaxy simply smooth and rounded, with no sign of a disk?"
    with (project / "seeds" / "question_answer_schema.csv").open("a", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for index, (answer, odd) in enumerate(ANSWERS.items()):
            writer.writerow(
                ["odd schema", QUESTION, question_text, odd, TEXTS[answer], index, "", ""]
            )
    with (project / "seeds" / "label_aliases.csv").open("a", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(
            ["odd schema", "answer", "star or artefact", QUESTION, ANSWERS["artifact"]]
        )
    with (project / "seeds" / "workflow_schema.csv").open("a", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(
            ["odd schema", 5733, WORKFLOW_ID, "odd", "", ""]
        )
    # the workflow now feeds two schemas, which makes the seeded retirement rules ambiguous
    # (retirement_rules_are_well_formed says so): this test is about names, so it has none
    rules = project / "seeds" / "retirement_rules.csv"
    rules.write_text(rules.read_text().splitlines()[0] + "\n")
    # the schema's model is a copy of the GZ DECaLS DR5 one, as a scientist would make it
    wide_model = project / "models" / "marts" / "gz_decals_dr5_vote_fractions.sql"
    (project / "models" / "marts" / "odd_vote_fractions.sql").write_text(
        wide_model.read_text().replace("'gz_decals_dr5'", "'odd schema'")
    )

    data = StandInData.from_sample(sample.generate(n_classifications=600, n_subjects=40, seed=61))
    with standin_server(data) as api:
        assert run_ingest(api, tmp_path / "data", "--workflow-id", str(WORKFLOW_ID)).returncode == 0
    database = tmp_path / "warehouse.duckdb"
    run_dbt(
        tmp_path / "data", database, "--project-dir", str(project), "--profiles-dir", str(project)
    )

    with duckdb.connect(str(database), read_only=True) as con:
        odd = con.sql("select * from odd_vote_fractions order by subject_id")
        odd_rows = [dict(zip(odd.columns, row, strict=True)) for row in odd.fetchall()]
        gz = con.sql("select * from gz_decals_dr5_vote_fractions order by subject_id")
        gz_rows = [dict(zip(gz.columns, row, strict=True)) for row in gz.fetchall()]
        assert con.execute("select count(*) from vote_counts").fetchall()[0][0] > 0
    assert len(odd_rows) == len(gz_rows) > 0
    for odd_row, gz_row in zip(odd_rows, gz_rows, strict=True):
        assert odd_row[f"{QUESTION}_total-votes"] == gz_row["smooth-or-featured_total-votes"]
        for answer, odd_name in ANSWERS.items():
            assert odd_row[f"{QUESTION}_{odd_name}"] == gz_row[f"smooth-or-featured_{answer}"]
            assert odd_row[f"{QUESTION}_{odd_name}_fraction"] == pytest.approx(
                gz_row[f"smooth-or-featured_{answer}_fraction"], nan_ok=True
            )
