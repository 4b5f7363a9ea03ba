"""The bundled sample walks the real decision tree of the version each classification names."""

from __future__ import annotations

from collections import Counter

import orjson

from standin import sample

VERSIONS = {
    f"{int(v['major_number'])}.{int(v['minor_number'])}": v for v in sample.workflow_6122_versions()
}


def test_the_bundled_versions_are_the_24_real_versions_of_workflow_6122():
    assert len(VERSIONS) == 24
    assert next(iter(VERSIONS)) == "28.30" and list(VERSIONS)[-1] == "66.425"
    old, new = VERSIONS["63.286"]["strings"], VERSIONS["66.425"]["strings"]
    assert old["T11.answers.1.label"].endswith("Tidal Debris")
    assert new["T11.answers.1.label"].endswith("Major Disturbance")


def test_generation_is_deterministic(small_sample):
    again = sample.generate(n_classifications=1_500, n_subjects=120)
    assert orjson.dumps(again.classifications) == orjson.dumps(small_sample.classifications)
    assert orjson.dumps(again.subjects) == orjson.dumps(small_sample.subjects)


def test_every_classification_follows_its_own_versions_decision_tree(small_sample):
    for classification in small_sample.classifications:
        version = VERSIONS[classification["metadata"]["workflow_version"]]
        tasks = version["tasks"]
        expected = version["first_task"] or "T0"
        for annotation in classification["annotations"]:
            assert annotation["task"] == expected
            task = tasks[annotation["task"]]
            value = annotation["value"]
            if task["type"] == "multiple":
                assert isinstance(value, list) and value
                assert all(0 <= v < len(task["answers"]) for v in value)
                expected = task.get("next")
            else:
                assert isinstance(value, int) and 0 <= value < len(task["answers"])
                expected = task["answers"][value].get("next") or task.get("next")
        assert expected is None


def test_the_sample_has_anonymous_users_repeats_multiple_choice_and_every_version(small_sample):
    rows = small_sample.classifications
    assert 0.1 < sum(c["links"]["user"] is None for c in rows) / len(rows) < 0.3
    pairs = Counter(
        (c["links"]["user"], c["links"]["subjects"][0]) for c in rows if c["links"]["user"]
    )
    assert any(n > 1 for n in pairs.values())
    chosen = [a["value"] for c in rows for a in c["annotations"] if isinstance(a["value"], list)]
    assert any(len(value) > 1 for value in chosen)  # T10, "rare features", several at once
    assert {c["metadata"]["workflow_version"] for c in rows} == set(VERSIONS)
    ids = [int(c["id"]) for c in rows]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    metadata = small_sample.subjects[0]["metadata"]
    assert {"!ra", "!dec", "!iauname"} <= set(metadata)


def test_iau_names_follow_the_catalogue_convention():
    assert sample.iau_name(130.8441567812173, 4.463927653769255) == "J084322.59+042750.1"
    assert sample.iau_name(0.001, -0.5) == "J000000.24-003000.0"
