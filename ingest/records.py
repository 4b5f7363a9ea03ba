"""Pure functions turning Panoptes subject, subject-workflow-status, workflow-version, project
and workflow resources into landing rows.

Classifications, which come by the million, are converted in bulk by :mod:`ingest.convert`.

Nothing here does I/O. A resource that cannot be landed raises :class:`RecordError` with a
reason a person can act on; the caller sets the resource aside with that reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

_MAX_ID_DIGITS = 18
# Extended format, years 1000 to 2999: a date, then optionally a time and a zone.
_ISO_TIMESTAMP = re.compile(
    r"[12]\d{3}-\d{2}-\d{2}"
    r"([T ]([01]\d|2[0-3]):\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?)?",
    re.ASCII,
)


class RecordError(ValueError):
    """A resource that cannot be landed as a row; the message is the reason."""


def parse_id(value: Any, field: str) -> int:
    """An integer id from an int or a string of 1 to 18 ASCII digits without leading zeros.

    Ids reach file paths and SQL, so ``" 12"``, ``"012"``, ``"12.0"`` or ``True`` are refused.
    The SQL paths apply the same rule (macro ``parsed_id`` in ``ingest/sql/macros.sql``).
    """
    if type(value) is str and _is_id_text(value):
        return int(value)
    if type(value) is int and 0 <= value < 10**_MAX_ID_DIGITS:
        return value
    raise RecordError(f"{field} is not an integer id: {_excerpt(value)}")


def _is_id_text(text: str) -> bool:
    no_leading_zero = text == "0" or not text.startswith("0")
    return len(text) <= _MAX_ID_DIGITS and text.isascii() and text.isdigit() and no_leading_zero


def workflow_version(major: int, minor: int) -> str:
    """A workflow version as Panoptes writes it, ``"<major>.<minor>"``.

    The SQL paths read it back with macro ``workflow_version_number``.
    """
    return f"{major}.{minor}"


def parse_timestamp(value: Any, field: str) -> datetime:
    """An ISO-8601 timestamp as a naive UTC datetime (the landing stores UTC without zone).

    The SQL paths apply the same rule (macro ``parsed_timestamp`` in ``ingest/sql/macros.sql``).
    """
    if not isinstance(value, str) or not _ISO_TIMESTAMP.fullmatch(value):
        raise RecordError(f"{field} is not a timestamp: {_excerpt(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(f"{field} is not a timestamp: {_excerpt(value)}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def optional_timestamp(value: Any, field: str) -> datetime | None:
    return None if value is None else parse_timestamp(value, field)


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def convert_all(
    resources: Iterable[Any], convert: Callable[[Any], dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[tuple[Any, str]]]:
    """Rows for the resources that convert, and (resource, reason) for those that do not."""
    rows: list[dict[str, Any]] = []
    rejects: list[tuple[Any, str]] = []
    for resource in resources:
        try:
            rows.append(convert(resource))
        except RecordError as exc:
            rejects.append((resource, str(exc)))
    return rows, rejects


def subject_row(
    resource: dict[str, Any], default_project_id: int, ingested_at: datetime
) -> dict[str, Any]:
    """One ``raw/subjects`` row from a ``/subjects`` resource."""
    project = _links(resource, "subject").get("project")
    return {
        "subject_id": parse_id(resource.get("id"), "id"),
        "project_id": default_project_id if project is None else parse_id(project, "project"),
        "metadata": json_text(resource.get("metadata") or {}),
        "locations": json_text(resource.get("locations") or []),
        "created_at": optional_timestamp(resource.get("created_at"), "created_at"),
        "updated_at": optional_timestamp(resource.get("updated_at"), "updated_at"),
        "raw": json_text(resource),
        "source": "api",
        "ingested_at": ingested_at,
    }


def subject_workflow_status_row(
    resource: dict[str, Any], workflow_id: int, project_id: int, ingested_at: datetime
) -> dict[str, Any]:
    """One ``raw/subject_workflow_statuses`` row from a ``/subject_workflow_statuses`` resource:
    Panoptes' classification count of one subject in one workflow, and its retirement."""
    links = _links(resource, "subject workflow status")
    linked_workflow = links.get("workflow")
    if linked_workflow is not None:
        workflow_id = parse_id(linked_workflow, "links.workflow")
    count = resource.get("classifications_count")
    if type(count) is not int or count < 0:
        raise RecordError(f"classifications_count is not a count: {_excerpt(count)}")
    reason = resource.get("retirement_reason")
    if reason is not None and not isinstance(reason, str):
        raise RecordError(f"retirement_reason is not text: {_excerpt(reason)}")
    return {
        "subject_id": parse_id(links.get("subject"), "links.subject"),
        "workflow_id": workflow_id,
        "project_id": project_id,
        "classifications_count": count,
        "retired_at": optional_timestamp(resource.get("retired_at"), "retired_at"),
        "retirement_reason": reason,
        "created_at": optional_timestamp(resource.get("created_at"), "created_at"),
        "updated_at": optional_timestamp(resource.get("updated_at"), "updated_at"),
        "raw": json_text(resource),
        "source": "api",
        "ingested_at": ingested_at,
    }


def workflow_version_row(
    resource: dict[str, Any], workflow_id: int, ingested_at: datetime
) -> dict[str, Any]:
    """One ``raw/workflow_versions`` row from a ``/workflow_versions`` resource."""
    linked_workflow = _links(resource, "workflow version").get("workflow")
    if linked_workflow is not None:
        workflow_id = parse_id(linked_workflow, "links.workflow")
    major = parse_id(resource.get("major_number"), "major_number")
    minor = parse_id(resource.get("minor_number"), "minor_number")
    tasks = resource.get("tasks")
    if not isinstance(tasks, dict):
        raise RecordError(f"tasks is not an object: {_excerpt(tasks)}")
    strings = resource.get("strings")
    return {
        "workflow_version_id": parse_id(resource.get("id"), "id"),
        "workflow_id": workflow_id,
        "major_number": major,
        "minor_number": minor,
        "workflow_version": workflow_version(major, minor),
        "first_task": resource.get("first_task"),
        "tasks": json_text(tasks),
        "strings": json_text(strings if isinstance(strings, dict) else {}),
        "created_at": optional_timestamp(resource.get("created_at"), "created_at"),
        "raw": json_text(resource),
        "source": "api",
        "ingested_at": ingested_at,
    }


def project_row(resource: Any, project_id: int, ingested_at: datetime) -> dict[str, Any]:
    """One ``raw/projects`` row from a ``/projects/{id}`` resource: its name and slug."""
    _links(resource, "project")
    found = parse_id(resource.get("id"), "id")
    if found != project_id:
        raise RecordError(f"id is {found}, not the project asked for ({project_id})")
    return {
        "project_id": found,
        "display_name": _optional_text(resource.get("display_name"), "display_name"),
        "slug": _optional_text(resource.get("slug"), "slug"),
        "raw": json_text(resource),
        "source": "api",
        "ingested_at": ingested_at,
    }


def workflow_row(resource: Any, project_id: int, ingested_at: datetime) -> dict[str, Any]:
    """One ``raw/workflows`` row from a ``/workflows`` resource: name, current version, active
    flag and retirement rule (JSON text as Panoptes has it; null when it has none)."""
    linked_project = _links(resource, "workflow").get("project")
    if linked_project is not None:
        project_id = parse_id(linked_project, "links.project")
    active = resource.get("active")
    if active is not None and type(active) is not bool:
        raise RecordError(f"active is not true or false: {_excerpt(active)}")
    return {
        "workflow_id": parse_id(resource.get("id"), "id"),
        "project_id": project_id,
        "display_name": _optional_text(resource.get("display_name"), "display_name"),
        "workflow_version": _version_text(resource.get("version"), "version"),
        "active": active,
        "retirement": _retirement(resource.get("retirement")),
        "raw": json_text(resource),
        "source": "api",
        "ingested_at": ingested_at,
    }


def workflow_export_workflow_row(
    row: dict[str, Any], project_id: int | None, ingested_at: datetime
) -> dict[str, Any]:
    """One ``raw/workflows`` row from a row of the Lab's workflows export (one per version:
    the workflow's name, active flag and retirement rule as that version had them)."""
    major = parse_id(row.get("version"), "version")
    minor = parse_id(row.get("minor_version"), "minor_version")
    retirement_text = row.get("retirement") or None
    return {
        "workflow_id": parse_id(row.get("workflow_id"), "workflow_id"),
        "project_id": project_id,
        "display_name": row.get("display_name") or None,
        "workflow_version": workflow_version(major, minor),
        "active": _export_flag(row.get("active"), "active"),
        "retirement": _retirement(
            None if retirement_text is None else _json_object(retirement_text, "retirement")
        ),
        "raw": json_text(row),
        "source": "export",
        "ingested_at": ingested_at,
    }


def _optional_text(value: Any, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise RecordError(f"{field} is not text: {_excerpt(value)}")
    return value


def _version_text(value: Any, field: str) -> str:
    """``"<major>.<minor>"`` as Panoptes writes a workflow's version, checked and normalised."""
    major, dot, minor = value.partition(".") if isinstance(value, str) else ("", "", "")
    if not dot:
        raise RecordError(f'{field} is not "major.minor": {_excerpt(value)}')
    try:
        return workflow_version(parse_id(major, field), parse_id(minor, field))
    except RecordError:
        raise RecordError(f'{field} is not "major.minor": {_excerpt(value)}') from None


def _retirement(value: Any) -> str | None:
    """A retirement rule as JSON text; it must be an object whose ``criteria`` is text."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RecordError(f"retirement is not an object: {_excerpt(value)}")
    criteria = value.get("criteria")
    if criteria is not None and not isinstance(criteria, str):
        raise RecordError(f"retirement criteria is not text: {_excerpt(criteria)}")
    options = value.get("options")
    if options is not None and not isinstance(options, dict):
        raise RecordError(f"retirement options is not an object: {_excerpt(options)}")
    return json_text(value)


_FLAGS = {"true": True, "t": True, "1": True, "false": False, "f": False, "0": False}


def _export_flag(value: Any, field: str) -> bool | None:
    """A boolean column of an export (``true``/``false``); empty is unknown."""
    if value is None or value == "":
        return None
    flag = _FLAGS.get(value.strip().lower()) if isinstance(value, str) else None
    if flag is None:
        raise RecordError(f"{field} is not true or false: {_excerpt(value)}")
    return flag


def _links(resource: Any, what: str) -> dict[str, Any]:
    """The resource's ``links`` (empty when absent); the resource must be a JSON object."""
    if not isinstance(resource, dict):
        raise RecordError(f"{what} is not an object: {_excerpt(resource)}")
    links = resource.get("links")
    return links if isinstance(links, dict) else {}


def _excerpt(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def workflow_export_row(row: dict[str, Any], ingested_at: datetime) -> dict[str, Any]:
    """One ``raw/workflow_versions`` row from a row of the Lab's workflows export.

    The export has one row per version: ``version`` is the major number and
    ``minor_version`` the minor one; ``tasks`` and ``strings`` are JSON (exports older than
    string extraction carry the labels inside ``tasks``, and no ``strings``).
    """
    major = parse_id(row.get("version"), "version")
    minor = parse_id(row.get("minor_version"), "minor_version")
    tasks = _json_object(row.get("tasks"), "tasks")
    strings = _json_object(row.get("strings") or "{}", "strings")
    return {
        "workflow_version_id": None,
        "workflow_id": parse_id(row.get("workflow_id"), "workflow_id"),
        "major_number": major,
        "minor_number": minor,
        "workflow_version": workflow_version(major, minor),
        "first_task": row.get("first_task") or None,
        "tasks": json_text(tasks),
        "strings": json_text(strings),
        "created_at": None,
        "raw": json_text(row),
        "source": "export",
        "ingested_at": ingested_at,
    }


def _json_object(text: Any, field: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text) if isinstance(text, str) else None
    except orjson.JSONDecodeError:
        raise RecordError(f"{field} is not valid JSON: {_excerpt(text)}") from None
    if not isinstance(value, dict):
        raise RecordError(f"{field} is not a JSON object: {_excerpt(text)}")
    return value


def rejected_row(
    entity: str,
    resource: Any,
    reason: str,
    project_id: int | None,
    workflow_id: int | None,
    ingested_at: datetime,
    source: str = "api",
) -> dict[str, Any]:
    """A ``raw/rejected`` row: the resource as received, kept with the reason it was set aside."""
    raw_id = resource.get("id") if isinstance(resource, dict) else None
    try:
        entity_id: int | None = parse_id(raw_id, "id")
    except RecordError:
        entity_id = None
    return {
        "entity": entity,
        "entity_id": entity_id,
        "project_id": project_id,
        "workflow_id": workflow_id,
        "reason": reason,
        "raw": json_text(resource),
        "source": source,
        "ingested_at": ingested_at,
    }
