"""The sample written as the Lab's CSV data exports, in their exact column layout.

Classification rows carry answer *labels* of the classification's own workflow version, as
Panoptes' export formatter writes them (``lib/formatter/csv/annotation_for_csv.rb``): the
label text of a single answer, a list of label texts for a multiple-choice one, ``null`` for
no answer; a dropdown's selections as ``{select_label, option, value, label}``. Anonymous
volunteers appear as ``not-logged-in-<token>`` with an empty user id.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from standin.sample import Sample, image_url, workflow_version_of

CLASSIFICATION_HEADER = (
    "classification_id", "user_name", "user_id", "user_ip", "workflow_id", "workflow_name",
    "workflow_version", "created_at", "gold_standard", "expert", "metadata", "annotations",
    "subject_data", "subject_ids",
)  # fmt: skip
WORKFLOW_HEADER = (
    "workflow_id", "display_name", "version", "active", "classifications_count", "pairwise",
    "grouped", "prioritized", "primary_language", "first_task", "tutorial_subject_id",
    "retired_set_member_subjects_count", "tasks", "retirement", "strings", "minor_version",
)  # fmt: skip
SUBJECT_HEADER = (
    "subject_id", "project_id", "workflow_id", "subject_set_id", "metadata", "locations",
    "classifications_count", "retired_at", "retirement_reason", "created_at", "updated_at",
)  # fmt: skip


def write_exports(
    sample: Sample, directory: Path, prefix: str = "sample", image_root: str | None = None
) -> dict[str, Path]:
    """Write the classification, workflow and subject exports; returns their paths.

    Subject images keep the sample's upload-store URLs, or, given the ``image_root`` of a
    running stand-in, point at the images it draws."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "classifications": directory / f"{prefix}-classifications.csv",
        "workflows": directory / f"{prefix}-workflows.csv",
        "subjects": directory / f"{prefix}-subjects.csv",
    }
    _write(paths["classifications"], CLASSIFICATION_HEADER, classification_rows(sample))
    _write(paths["workflows"], WORKFLOW_HEADER, workflow_rows(sample))
    _write(paths["subjects"], SUBJECT_HEADER, subject_rows(sample, image_root))
    return paths


def classification_rows(sample: Sample) -> Iterable[list[Any]]:
    versions = {
        (int(v["links"]["workflow"]), workflow_version_of(v)): v for v in sample.workflow_versions
    }
    names = {int(w["id"]): w["display_name"] for w in sample.workflows}
    subjects = {s["id"]: s for s in sample.subjects}
    for classification in sample.classifications:
        links = classification["links"]
        workflow_id = int(links["workflow"])
        metadata = dict(classification["metadata"])
        version_name = metadata.pop("workflow_version")
        version = versions[(workflow_id, version_name)]
        user = links["user"]
        token = hashlib.sha1(f"ip:{user}:{classification['id']}".encode()).hexdigest()[:20]
        subject_data = {
            sid: {"retired": None, **subjects[sid]["metadata"]} for sid in links["subjects"]
        }
        yield [
            classification["id"],
            f"volunteer-{user}" if user else f"not-logged-in-{token}",
            user or "",
            token,
            workflow_id,
            names.get(workflow_id, ""),
            version_name,
            _export_time(classification["created_at"]),
            "",
            "",
            _json(metadata),
            _json([_labelled(a, version) for a in classification["annotations"]]),
            _json(subject_data),
            ";".join(links["subjects"]),
        ]


def workflow_rows(sample: Sample) -> Iterable[list[Any]]:
    """One row per version; the name, active flag and retirement rule are the workflow's."""
    workflows = {int(w["id"]): w for w in sample.workflows}
    for version in sample.workflow_versions:
        workflow_id = int(version["links"]["workflow"])
        workflow = workflows.get(workflow_id, {})
        yield [
            workflow_id,
            workflow.get("display_name", ""),
            int(version["major_number"]),
            "true" if workflow.get("active", True) else "false",
            0,
            "false",
            "false",
            "false",
            "en",
            version.get("first_task") or "",
            "",
            0,
            _json(version["tasks"]),
            _json(workflow.get("retirement") or {"criteria": "never_retire", "options": {}}),
            _json(version.get("strings") or {}),
            int(version["minor_number"]),
        ]


def subject_rows(sample: Sample, image_root: str | None = None) -> Iterable[list[Any]]:
    workflow_ids = sorted({int(w["id"]) for w in sample.workflows})
    for subject in sample.subjects:
        created = _export_time(subject["created_at"])
        urls = [next(iter(loc.values())) for loc in subject["locations"]]
        subject_id = int(subject["id"])
        if image_root is not None and urls == [image_url(subject_id)]:
            urls = [image_url(subject_id, image_root)]
        locations = {str(i): url for i, url in enumerate(urls)}
        for workflow_id in workflow_ids:
            yield [
                subject["id"],
                subject["links"]["project"],
                workflow_id,
                subject["links"]["subject_sets"][0],
                _json(subject["metadata"]),
                _json(locations),
                0,
                "",
                "",
                created,
                created,
            ]


def _labelled(annotation: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    strings = version.get("strings") or {}
    task = version["tasks"][annotation["task"]]
    if task.get("type") == "dropdown":
        selections = annotation["value"] if isinstance(annotation["value"], list) else []
        return {
            "task": annotation["task"],
            "value": [
                _dropdown_selection(select, selections[i] if i < len(selections) else None, strings)
                for i, select in enumerate(task.get("selects") or [])
            ],
        }
    labels = [strings.get(a["label"], a["label"]) for a in task.get("answers", [])]
    value = annotation["value"]
    if isinstance(value, list):
        shown: Any = [labels[i] if 0 <= i < len(labels) else "unknown answer label" for i in value]
    elif value is None:
        shown = None
    else:
        shown = labels[value] if 0 <= value < len(labels) else "unknown answer label"
    question = strings.get(task.get("question"), task.get("question"))
    return {"task": annotation["task"], "task_label": question, "value": shown}


def _dropdown_selection(
    select: dict[str, Any], selection: Any, strings: dict[str, Any]
) -> dict[str, Any]:
    """A select's answer as the export writes it (``dropdown_process_selects``): its title, then
    the volunteer's own text (``"option": false``) where the select allows it, or the chosen
    option's value and label."""
    chosen = selection.get("value") if isinstance(selection, dict) else None
    shown: dict[str, Any] = {"select_label": select.get("title")}
    if select.get("allowCreate"):
        shown.update(option=False, value=chosen)
    for options in (select.get("options") or {}).values():
        for option in options:
            if option.get("value") == chosen:
                shown.update(option=True, value=option["value"], label=strings.get(option["label"]))
                return shown
    return shown


def _export_time(iso: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _write(path: Path, header: tuple[str, ...], rows: Iterable[list[Any]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
