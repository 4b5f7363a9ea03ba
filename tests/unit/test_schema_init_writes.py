"""`gz-warehouse schema init` on a copy of the project's seeds and marts: what it writes, what it
keeps, what it refuses, and reading versions from the workflows export or from the landing."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

from ingest.export import load_exports
from ingest.landing import Landing
from warehouse import cli
from warehouse.schema_init import (
    MARKER,
    SchemaInitError,
    init_schema,
    versions_from_export,
    versions_from_landing,
)

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
SLSN_EXPORT = FIXTURES / "slsn-workflows.csv"
FOSSIL_EXPORT = FIXTURES / "fossil-finder-workflows.csv"
SEEDS = ("question_answer_schema", "label_aliases", "workflow_schema")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The project's seeds and wide marts, as a scientist's checkout has them."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "seeds", project / "seeds")
    (project / "models" / "marts").mkdir(parents=True)
    for path in (PROJECT_ROOT / "models" / "marts").glob("*_vote_fractions.sql"):
        shutil.copy(path, project / "models" / "marts" / path.name)
    return project


def files(project: Path) -> dict[str, str]:
    return {
        str(path.relative_to(project)): path.read_text()
        for path in sorted(project.rglob("*"))
        if path.is_file()
    }


def rows(project: Path, seed: str) -> list[dict[str, str]]:
    with (project / "seeds" / f"{seed}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def init(project: Path, tmp_path: Path, schema: str, workflow_id: int, **options) -> list[str]:
    said: list[str] = []
    init_schema(project, tmp_path / "data", schema, workflow_id, say=said.append, **options)
    return said


def test_a_new_schema_is_written_after_the_others_which_stay_as_they_were(project, tmp_path):
    before = {seed: rows(project, seed) for seed in SEEDS}
    init(project, tmp_path, "fossil_finder", 371, workflows=FOSSIL_EXPORT)

    for seed in SEEDS:
        after = rows(project, seed)
        assert after[: len(before[seed])] == before[seed]
        added = {r["schema_name"] for r in after[len(before[seed]) :]}
        # markdown needs no alias: the models clean it away as the seed renders it
        assert added == (set() if seed == "label_aliases" else {"fossil_finder"})
    written = [
        r for r in rows(project, "question_answer_schema") if r["schema_name"] == "fossil_finder"
    ]
    assert [(r["question"], r["answer"], r["answer_index"]) for r in written] == [
        ("is-the-image-good-enough-to", "too-blurry", "0"),
        ("is-the-image-good-enough-to", "ok-to-study", "1"),
        ("is-the-image-good-enough-to", "too-bushy", "2"),
        ("what-is-the-density-of-surface", "20-60", "0"),
        ("what-is-the-density-of-surface", "60-100", "1"),
        ("what-is-the-density-of-surface", "0-20", "2"),
        ("what-is-the-surface-mostly-made", "silt-or-mud", "0"),
        ("what-is-the-surface-mostly-made", "sand", "1"),
    ]
    model = (project / "models" / "marts" / "fossil_finder_vote_fractions.sql").read_text()
    assert model.startswith(MARKER)
    assert "{{ vote_fractions_wide('fossil_finder') }}" in model
    assert (
        "is-the-image-good-enough-to_ok-to-study_fraction"
        in (project / "models" / "marts" / "_fossil_finder__models.yml").read_text()
    )


def test_running_it_again_replaces_the_schema_in_place_and_nothing_else(project, tmp_path):
    committed = files(project)
    init(project, tmp_path, "superluminous_supernovae", 10, workflows=SLSN_EXPORT)
    again = files(project)
    assert {k: v for k, v in again.items() if k in committed} == committed  # as committed
    init(project, tmp_path, "superluminous_supernovae", 10, workflows=SLSN_EXPORT)
    assert files(project) == again

    # version ranges and aliases set by hand stay; aliases of questions gone go
    workflow_seed = project / "seeds" / "workflow_schema.csv"
    workflow_seed.write_text(
        workflow_seed.read_text().replace(
            "superluminous_supernovae,,10,Superluminous Supernovae,,",
            "superluminous_supernovae,,10,Superluminous Supernovae,14.53,",
        )
    )
    with (project / "seeds" / "label_aliases.csv").open("a", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["superluminous_supernovae", "answer", "yep", "is-the-cross-hair-in-the-image", "yes"]
        )
        writer.writerow(["superluminous_supernovae", "question", "gone", "no-such-question", ""])
    init(project, tmp_path, "superluminous_supernovae", 10, workflows=SLSN_EXPORT)
    [workflow] = [
        r
        for r in rows(project, "workflow_schema")
        if r["schema_name"] == "superluminous_supernovae"
    ]
    assert workflow["min_workflow_version"] == "14.53"
    labels = [
        r["label"]
        for r in rows(project, "label_aliases")
        if r["schema_name"] == "superluminous_supernovae"
    ]
    assert "yep" in labels and "gone" not in labels


def test_a_schema_it_did_not_write_is_replaced_only_when_asked(project, tmp_path, capsys):
    committed = files(project)
    with pytest.raises(
        SchemaInitError, match=r"not written by gz-warehouse schema init.*--replace"
    ):
        init(project, tmp_path, "gz_decals_dr5", 371, workflows=FOSSIL_EXPORT)
    assert files(project) == committed

    argv = ["schema", "init", "--schema", "gz2", "--workflow-id", "371",
            "--workflows", str(FOSSIL_EXPORT), "--project-dir", str(project),
            "--data-dir", str(tmp_path / "data")]  # fmt: skip
    assert cli.main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: schema 'gz2' exists") and error.count("\n") == 1
    assert files(project) == committed

    assert cli.main([*argv, "--replace"]) == 0
    gz2 = [r for r in rows(project, "question_answer_schema") if r["schema_name"] == "gz2"]
    assert {r["question"] for r in gz2} == {
        "is-the-image-good-enough-to", "what-is-the-density-of-surface",
        "what-is-the-surface-mostly-made",
    }  # fmt: skip
    others = [r for r in rows(project, "question_answer_schema") if r["schema_name"] != "gz2"]
    with (PROJECT_ROOT / "seeds" / "question_answer_schema.csv").open(newline="") as handle:
        assert others == [r for r in csv.DictReader(handle) if r["schema_name"] != "gz2"]


@pytest.mark.parametrize("name", ["Fossil", "1fossil", "fossil-finder", "fossil finder", ""])
def test_a_schema_name_is_an_identifier(project, tmp_path, name):
    with pytest.raises(SchemaInitError, match="not a schema name"):
        init(project, tmp_path, name, 371, workflows=FOSSIL_EXPORT)


def test_a_dry_run_prints_what_maps_and_writes_nothing(project, tmp_path):
    committed = files(project)
    said = init(project, tmp_path, "slsn", 10, workflows=SLSN_EXPORT, dry_run=True)
    assert files(project) == committed
    assert said[0].startswith("workflow 10 (Superluminous Supernovae): 6 version(s)")
    versions = [line.split()[0] for line in said[1:13]]
    assert versions == [v for v in ("14.52", "14.53", "14.54", "14.55", "15.55", "16.55")
                        for _ in range(2)]  # fmt: skip
    assert said[1].startswith("14.52 T0 single 'Has the lightcurve been rising for more")
    assert said[1].endswith("-> has-the-lightcurve-been-rising (2 answers)")
    assert (
        "  is-the-cross-hair-in-the-image (T1): yes, no; after has-the-lightcurve-been-rising = yes"
        in said
    )
    assert said[-1] == "dry run: nothing written"


def test_versions_read_alike_from_the_export_and_from_the_landing(tmp_path):
    landing = Landing(tmp_path / "data")
    load_exports(landing, classifications=FIXTURES / "slsn-classifications.csv",
                 workflows=SLSN_EXPORT, project_id=777)  # fmt: skip
    landed = versions_from_landing(tmp_path / "data", 10)
    exported = versions_from_export(SLSN_EXPORT, 10)
    assert [v.version for v in landed.versions] == [v.version for v in exported.versions] == [
        "14.52", "14.53", "14.54", "14.55", "15.55", "16.55"
    ]  # fmt: skip
    assert landed.versions == exported.versions
    assert landed.versions[-1].display_name == "Superluminous Supernovae"


def test_the_project_comes_from_the_landing(project, tmp_path):
    load_exports(Landing(tmp_path / "data"), classifications=FIXTURES / "slsn-classifications.csv",
                 workflows=SLSN_EXPORT, project_id=777)  # fmt: skip
    init(project, tmp_path, "slsn", 10)
    [workflow] = [r for r in rows(project, "workflow_schema") if r["schema_name"] == "slsn"]
    assert (workflow["project_id"], workflow["workflow_name"]) == (
        "777",
        "Superluminous Supernovae",
    )


def test_what_cannot_be_onboarded_is_said_in_one_line(project, tmp_path):
    with pytest.raises(
        SchemaInitError, match=r"has no version of workflow 12 \(it has workflows 10\)"
    ):
        init(project, tmp_path, "slsn", 12, workflows=SLSN_EXPORT)
    with pytest.raises(SchemaInitError, match="no version of workflow 10 landed under"):
        init(project, tmp_path, "slsn", 10)
    assert cli.main(["schema", "init", "--schema", "x", "--workflow-id", "10",
                     "--workflows", str(tmp_path / "none.csv"),
                     "--project-dir", str(project)]) == 1  # fmt: skip


def test_a_new_schema_gets_an_empty_campaign_suffix_and_a_suffix_set_by_hand_stays(
    project, tmp_path
):
    before = rows(project, "schema_campaigns")
    said = init(project, tmp_path, "fossil_finder", 371, workflows=FOSSIL_EXPORT)
    after = rows(project, "schema_campaigns")
    assert after == [*before, {"schema_name": "fossil_finder", "campaign_suffix": ""}]
    assert "wrote seeds/schema_campaigns.csv: fossil_finder has campaign suffix ''" in " ".join(
        said
    )

    campaigns = project / "seeds" / "schema_campaigns.csv"
    campaigns.write_text(campaigns.read_text().replace("fossil_finder,\n", "fossil_finder,-ff\n"))
    init(project, tmp_path, "fossil_finder", 371, workflows=FOSSIL_EXPORT)
    assert rows(project, "schema_campaigns")[-1] == {
        "schema_name": "fossil_finder",
        "campaign_suffix": "-ff",
    }
    assert rows(project, "schema_campaigns")[:-1] == before


def test_a_project_without_the_campaign_seed_gets_one(project, tmp_path):
    (project / "seeds" / "schema_campaigns.csv").unlink()
    init(project, tmp_path, "fossil_finder", 371, workflows=FOSSIL_EXPORT)
    assert rows(project, "schema_campaigns") == [
        {"schema_name": "fossil_finder", "campaign_suffix": ""}
    ]
