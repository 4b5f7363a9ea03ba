"""A deterministic Galaxy Zoo sample in the Panoptes API's own shapes.

Classifications walk the real decision tree of Galaxy Zoo DECaLS workflow 6122 at the workflow
version they were made under (24 real versions, bundled in ``sample_data/``), so answer indices
and the multiple-choice task T10 look like production data. Other workflows' versions may hold
dropdown tasks, answered one selection per select. Each subject has its own leaning
per question, so vote fractions differ between galaxies. About a fifth of classifications are
anonymous and a few percent repeat a (user, subject) pair.

The same seed and sizes always give the same resources, byte for byte.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from ingest import records

PROJECT_ID = 5733
WORKFLOW_ID = 6122
WORKFLOW_NAME = "DECaLS DR5"
PROJECT_NAME = "Galaxy Zoo"
PROJECT_SLUG = "zookeeper/galaxy-zoo"
FIRST_CLASSIFICATION_ID = 91_178_981
FIRST_SUBJECT_ID = 15_069_047
START = datetime(2018, 2, 20, 10, 44, 42, tzinfo=UTC)
END = datetime(2020, 3, 1, tzinfo=UTC)

ANONYMOUS_SHARE = 0.2
REPEAT_SHARE = 0.03
# Subjects retire at this many classifications (as Galaxy Zoo DECaLS did at 40), so the
# stand-in's subject workflow statuses have retirements to report.
RETIREMENT_COUNT = 25
VOLUNTEERS = 400
# Where a stand-in serves a sample subject's image (outside /api, as Panoptes' upload store is).
IMAGE_PATH = "/subject_images/{subject_id}.png"
LATEST_VERSION_SHARE = 0.4


@cache
def workflow_6122_versions() -> tuple[dict[str, Any], ...]:
    """The 24 real versions of workflow 6122, as ``/workflow_versions`` resources."""
    path = resources.files("standin") / "sample_data" / "workflow_6122_versions.json.gz"
    with path.open("rb") as handle:
        versions = json.loads(gzip.decompress(handle.read()))
    return tuple(sorted(versions, key=lambda v: (int(v["major_number"]), int(v["minor_number"]))))


@dataclass
class Sample:
    """Resources a Panoptes API would serve for one project."""

    classifications: list[dict[str, Any]]
    subjects: list[dict[str, Any]]
    workflows: list[dict[str, Any]]
    workflow_versions: list[dict[str, Any]]
    project_id: int = PROJECT_ID
    stats: dict[str, int] = field(default_factory=dict)
    projects: list[dict[str, Any]] = field(default_factory=list)


def generate(
    n_classifications: int = 20_000,
    n_subjects: int = 1_000,
    seed: int = 6122,
    workflows: dict[int, list[dict[str, Any]]] | None = None,
    project_id: int = PROJECT_ID,
) -> Sample:
    """Generate classifications spread over ``workflows`` (default: workflow 6122, real versions).

    ``workflows`` maps a workflow id to its version resources, oldest first; classifications are
    dealt to workflows in turn and, within one, made under older versions early on and under the
    latest version for the last 40% of the time line.
    """
    if n_subjects < 1 or n_classifications < 0:
        raise ValueError("need at least one subject and a non-negative number of classifications")
    rng = random.Random(seed)
    workflows = workflows or {WORKFLOW_ID: list(workflow_6122_versions())}
    subjects = [
        _subject(rng, FIRST_SUBJECT_ID + i * 7 + rng.randrange(7), project_id)
        for i in range(n_subjects)
    ]
    leanings: dict[tuple[int, str], list[float]] = {}
    pairs: list[tuple[int, int]] = []
    classifications = []
    stats = {"anonymous": 0, "repeats": 0, "multiple_choice": 0}
    workflow_ids = sorted(workflows)
    classification_id = FIRST_CLASSIFICATION_ID
    span = (END - START).total_seconds()
    for index in range(n_classifications):
        workflow_id = workflow_ids[index % len(workflow_ids)]
        versions = workflows[workflow_id]
        progress = index / max(n_classifications, 1)
        version = versions[_version_index(progress, len(versions))]
        if pairs and rng.random() < REPEAT_SHARE:
            user_id, subject_index = pairs[rng.randrange(len(pairs))]
            stats["repeats"] += 1
        else:
            subject_index = rng.randrange(n_subjects)
            user_id = (
                None if rng.random() < ANONYMOUS_SHARE else 1_000_000 + rng.randrange(VOLUNTEERS)
            )
            if user_id is not None:
                pairs.append((user_id, subject_index))
        if user_id is None:
            stats["anonymous"] += 1
        subject = subjects[subject_index]
        annotations = _walk(rng, version, int(subject["id"]), leanings)
        if any(isinstance(a["value"], list) for a in annotations):
            stats["multiple_choice"] += 1
        created = START + timedelta(seconds=span * progress + rng.random() * 30)
        classification_id += 1 + rng.randrange(40)
        classifications.append(
            _classification(
                rng,
                classification_id,
                project_id,
                workflow_id,
                version,
                user_id,
                subject,
                annotations,
                created,
            )
        )
    return Sample(
        classifications=classifications,
        subjects=subjects,
        workflows=[_workflow(wid, project_id, workflows[wid][-1]) for wid in workflow_ids],
        workflow_versions=[
            {**v, "links": {"workflow": str(wid)}} for wid in workflow_ids for v in workflows[wid]
        ],
        project_id=project_id,
        stats=stats,
        projects=[project(project_id, workflow_ids)],
    )


def _version_index(progress: float, count: int) -> int:
    older = count - 1
    if older == 0 or progress >= 1 - LATEST_VERSION_SHARE:
        return count - 1
    return int(progress / (1 - LATEST_VERSION_SHARE) * older)


def _walk(
    rng: random.Random,
    version: dict[str, Any],
    subject_id: int,
    leanings: dict[tuple[int, str], list[float]],
) -> list[dict[str, Any]]:
    """Answer tasks from ``first_task`` following ``next`` links, as a volunteer would."""
    tasks = version["tasks"]
    task_key: str | None = version.get("first_task") or "T0"
    annotations: list[dict[str, Any]] = []
    seen: set[str] = set()
    while task_key and task_key in tasks and task_key not in seen:
        seen.add(task_key)
        task = tasks[task_key]
        if task.get("type") == "dropdown":
            value = _dropdown(
                rng, task, lambda n, key=task_key: _leaning(leanings, subject_id, key, n)
            )
            annotations.append({"task": task_key, "value": value})
            task_key = task.get("next")
            continue
        answers = task.get("answers") or []
        if not answers:
            break
        weights = _leaning(leanings, subject_id, task_key, len(answers))
        if task.get("type") == "multiple":
            value: Any = _multiple_choice(rng, weights)
            next_key = task.get("next")
        else:
            value = rng.choices(range(len(answers)), weights=weights)[0]
            next_key = answers[value].get("next") or task.get("next")
        annotations.append({"task": task_key, "value": value})
        task_key = next_key
    return annotations


def leaning(subject_id: int, task_key: str, n_answers: int) -> list[float]:
    """How a subject's volunteers lean on one question: a weight per answer (the same every
    time, and the same the generated classifications were drawn with)."""
    return _leaning({}, subject_id, task_key, n_answers)


def _leaning(
    leanings: dict[tuple[int, str], list[float]],
    subject_id: int,
    task_key: str,
    n_answers: int,
) -> list[float]:
    key = (subject_id, task_key)
    weights = leanings.get(key)
    if weights is None or len(weights) != n_answers:
        local = random.Random(f"{subject_id}:{task_key}:{n_answers}")
        weights = [local.random() ** 3 + 0.02 for _ in range(n_answers)]
        leanings[key] = weights
    return weights


def _dropdown(
    rng: random.Random, task: dict[str, Any], weights: Callable[[int], list[float]]
) -> list[dict[str, Any] | None]:
    """One selection per select, as the classifier records them: ``{"value", "option": true}``
    for an option of the list its condition picks ("*" without one), ``"option": false`` for
    text of the volunteer's own where the select allows it, null where there is nothing to
    choose."""
    chosen: dict[Any, Any] = {}
    value: list[dict[str, Any] | None] = []
    for select in task.get("selects") or []:
        condition = select.get("condition")
        key = "*" if not condition else str(chosen.get(condition))
        options = (select.get("options") or {}).get(key) or []
        if select.get("allowCreate") and (not options or rng.random() < 0.2):
            selection: dict[str, Any] | None = {
                "value": f"typed {rng.randrange(100)}",
                "option": False,
            }
        elif options:
            index = rng.choices(range(len(options)), weights=weights(len(options)))[0]
            selection = {"value": options[index]["value"], "option": True}
        else:
            selection = None
        chosen[select.get("id")] = None if selection is None else selection["value"]
        value.append(selection)
    return value


def _multiple_choice(rng: random.Random, weights: list[float]) -> list[int]:
    """Mostly the last answer ("Nothing Unusual"), sometimes one or two rare features."""
    last = len(weights) - 1
    roll = rng.random()
    if roll < 0.7:
        return [last]
    if roll < 0.95:
        return [rng.choices(range(last), weights=weights[:last])[0]]
    picked = rng.sample(range(last), k=min(2, last))
    return picked


def _subject(rng: random.Random, subject_id: int, project_id: int) -> dict[str, Any]:
    ra = rng.uniform(0, 360)
    dec = rng.uniform(-20, 35)
    created = "2018-12-07T13:03:28.035Z"
    return {
        "id": str(subject_id),
        "metadata": {
            "!ra": ra,
            "!dec": dec,
            "!iauname": iau_name(ra, dec),
            "!nsa_id": rng.randrange(1, 700_000),
            "!redshift": round(rng.uniform(0.01, 0.15), 6),
            "!mag_r": round(rng.uniform(13.5, 17.8), 4),
            "!petrotheta": round(rng.uniform(2, 30), 4),
            "#upload_date": "2018-12-07",
        },
        "locations": [{"image/png": image_url(subject_id)}],
        "zooniverse_id": None,
        "external_id": None,
        "created_at": created,
        "updated_at": created,
        "href": f"/subjects/{subject_id}",
        "links": {"project": str(project_id), "collections": [], "subject_sets": ["67383"]},
    }


def image_url(subject_id: int, root: str | None = None) -> str:
    """A sample subject's image: as Panoptes' upload store names one, or, given the ``root``
    of a running stand-in, the image that stand-in draws for it."""
    if root is not None:
        return root.rstrip("/") + IMAGE_PATH.format(subject_id=subject_id)
    digest = hashlib.sha1(str(subject_id).encode()).hexdigest()
    return (
        "https://panoptes-uploads.zooniverse.org/production/subject_location/"
        f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}.png"
    )


def iau_name(ra: float, dec: float) -> str:
    """IAU designation ``Jhhmmss.ss+ddmmss.s`` from decimal degrees (truncated, as NSA names)."""
    hours = ra / 15
    h, rem = int(hours), (hours - int(hours)) * 60
    m, s = int(rem), (rem - int(rem)) * 60
    sign = "+" if dec >= 0 else "-"
    d_abs = abs(dec)
    d, drem = int(d_abs), (d_abs - int(d_abs)) * 60
    dm, ds = int(drem), (drem - int(drem)) * 60
    return (
        f"J{h:02d}{m:02d}{int(s * 100) / 100:05.2f}{sign}{d:02d}{dm:02d}{int(ds * 10) / 10:04.1f}"
    )


def _classification(
    rng: random.Random,
    classification_id: int,
    project_id: int,
    workflow_id: int,
    version: dict[str, Any],
    user_id: int | None,
    subject: dict[str, Any],
    annotations: list[dict[str, Any]],
    created: datetime,
) -> dict[str, Any]:
    started = created - timedelta(seconds=5 + rng.random() * 60)
    width, height = rng.choice([(1366, 657), (1920, 969), (1440, 789), (375, 667)])
    workflow_version = workflow_version_of(version)
    return {
        "id": str(classification_id),
        "annotations": annotations,
        "created_at": _iso(created),
        "updated_at": _iso(created + timedelta(milliseconds=71)),
        "metadata": {
            "source": "api",
            "session": hashlib.sha256(f"{user_id}:{created.date()}".encode()).hexdigest(),
            "viewport": {"width": width, "height": height},
            "started_at": _iso(started),
            "user_agent": (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                "(KHTML, like Gecko) Chrome/73.0.3683.86 Safari/537.36"
            ),
            "utc_offset": str(rng.choice([0, -3600, 18000, 25200])),
            "finished_at": _iso(created - timedelta(milliseconds=750)),
            "live_project": True,
            "interventions": {"opt_in": True, "message": False},
            "user_language": "en",
            "user_group_ids": [],
            "subject_dimensions": [
                {"clientWidth": 424, "clientHeight": 424, "naturalWidth": 424, "naturalHeight": 424}
            ],
            "subject_selection_state": {
                "retired": False,
                "already_seen": False,
                "selection_state": "normal",
                "finished_workflow": False,
                "user_has_finished_workflow": False,
            },
            "workflow_translation_id": "750",
            "workflow_version": workflow_version,
        },
        "href": f"/classifications/{classification_id}",
        "links": {
            "project": str(project_id),
            "user": None if user_id is None else str(user_id),
            "user_group": None,
            "workflow": str(workflow_id),
            "subjects": [subject["id"]],
        },
    }


def workflow_version_of(version: dict[str, Any]) -> str:
    """The ``"<major>.<minor>"`` name of a ``/workflow_versions`` resource."""
    return records.workflow_version(int(version["major_number"]), int(version["minor_number"]))


def project(project_id: int, workflow_ids: list[int]) -> dict[str, Any]:
    """The ``/projects/{id}`` resource of the sample's project: Galaxy Zoo's name and slug for
    project 5733, a made-up one for another id."""
    galaxy_zoo = project_id == PROJECT_ID
    return {
        "id": str(project_id),
        "display_name": PROJECT_NAME if galaxy_zoo else f"Project {project_id}",
        "slug": PROJECT_SLUG if galaxy_zoo else f"standin/project-{project_id}",
        "primary_language": "en",
        "launch_approved": True,
        "live": True,
        "href": f"/projects/{project_id}",
        "links": {"workflows": [str(w) for w in workflow_ids]},
    }


def _workflow(workflow_id: int, project_id: int, latest: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(workflow_id),
        "display_name": WORKFLOW_NAME if workflow_id == WORKFLOW_ID else f"Workflow {workflow_id}",
        "version": workflow_version_of(latest),
        "first_task": latest.get("first_task") or "T0",
        "active": True,
        "retirement": {"criteria": "classification_count", "options": {"count": RETIREMENT_COUNT}},
        "href": f"/workflows/{workflow_id}",
        "links": {"project": str(project_id)},
    }


def _iso(moment: datetime) -> str:
    """``2019-03-29T18:37:52.739Z``, the API's timestamp format."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
