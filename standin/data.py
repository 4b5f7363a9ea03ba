"""What the stand-in serves: resources held pre-serialised, classifications in keyset order.

Classifications can be published gradually (new arrivals), and subject workflow statuses are
counted from the classifications visible at the time of the request, unless a test sets them.

Tests can switch on the ways Panoptes' classification stream misbehaves at the data level:
ids that become visible late (:meth:`StandInData.hide`, then :meth:`StandInData.reveal`), ids
served out of order (:meth:`StandInData.defer`), pages that overlap (``overlap``) and a
resource served as given bytes (:meth:`StandInData.replace_body`).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import orjson

from standin import sample

# Where a sample subject's image is served, until a request names the address that reached the
# stand-in (see ``StandInData.drawn``).
IMAGE_ROOT = "{stand-in}"


class _Index:
    """Pre-serialised resources sorted by id, for cheap keyset and offset slices."""

    def __init__(self, items: Iterable[tuple[float, bytes]]) -> None:
        pairs = sorted(items)
        self.ids = [i for i, _ in pairs]
        self.bodies = [b for _, b in pairs]

    def after(
        self,
        last_id: int,
        visible_until: float,
        offset: int,
        limit: int,
        withheld: Collection[int] = (),
    ) -> list[int]:
        """Positions of up to ``limit`` resources with ids above ``last_id``, none withheld."""
        start = bisect.bisect_right(self.ids, last_id)
        stop = bisect.bisect_right(self.ids, visible_until)
        if not withheld:
            return list(range(start + offset, min(stop, start + offset + limit)))
        shown = (i for i in range(start, stop) if self.ids[i] not in withheld)
        return list(itertools.islice(shown, offset, offset + limit))

    def position(self, cid: int) -> int | None:
        at = bisect.bisect_left(self.ids, cid)
        return at if at < len(self.ids) and self.ids[at] == cid else None


class StandInData:
    """The resources served. Classifications can be published gradually to mimic new arrivals."""

    def __init__(
        self,
        classifications: list[dict[str, Any]],
        subjects: list[dict[str, Any]],
        workflows: list[dict[str, Any]],
        workflow_versions: list[dict[str, Any]],
        projects: list[dict[str, Any]] | None = None,
    ) -> None:
        by_stream: dict[tuple[int, int | None], list[tuple[float, bytes]]] = {}
        self.classification_ids: list[int] = []
        self._classified: dict[tuple[int, int], list[tuple[int, str]]] = {}
        position = 0.0
        for resource in classifications:
            # A resource with a broken id (tests serve some) sits just after the one before it.
            cid = numeric_id(resource.get("id"))
            position = float(cid) if cid is not None else position + 1e-3
            body = orjson.dumps(resource)
            links = resource.get("links") or {}
            project = numeric_id(links.get("project")) or 0
            workflow = numeric_id(links.get("workflow")) or 0
            by_stream.setdefault((project, workflow), []).append((position, body))
            by_stream.setdefault((project, None), []).append((position, body))
            if cid is not None:
                self.classification_ids.append(cid)
                self._count_for_statuses(cid, workflow, resource)
        self.classification_ids.sort()
        for classified in self._classified.values():
            classified.sort()
        self._status_workflows = {workflow for _, workflow in self._classified}
        self._streams = {key: _Index(items) for key, items in by_stream.items()}
        # Sample subjects whose location is the sample's own upload URL get the image the
        # stand-in draws for them instead; a subject with a location of its own keeps it.
        self.drawn = {int(s["id"]) for s in subjects if _sample_image(s)}
        self.subjects = {
            int(s["id"]): orjson.dumps(
                {**s, "locations": [{"image/png": sample.image_url(int(s["id"]), IMAGE_ROOT)}]}
                if int(s["id"]) in self.drawn
                else s
            )
            for s in subjects
        }
        self.workflows = workflows
        self.workflow_versions = workflow_versions
        self.projects = {
            pid: project for project in projects or [] if (pid := numeric_id(project.get("id")))
        }
        self.visible_until = math.inf
        self.status_overrides: dict[tuple[int, int], dict[str, Any]] = {}
        self._statuses_served: tuple[tuple[Any, ...], list[bytes]] | None = None
        self.hidden: set[int] = set()
        self.deferred: dict[int, int] = {}
        self.overlap = 0

    def _count_for_statuses(self, cid: int, workflow: int, resource: dict[str, Any]) -> None:
        """Count a classification towards its subjects' statuses, as Panoptes would have stored
        it: one the test made unreadable (no timestamp) is not one Panoptes counted."""
        moment = resource.get("created_at")
        if not isinstance(moment, str) or not _is_timestamp(moment):
            return
        for subject in (resource.get("links") or {}).get("subjects") or []:
            if (subject_id := numeric_id(subject)) is not None:
                self._classified.setdefault((subject_id, workflow), []).append((cid, moment))

    @classmethod
    def from_sample(cls, sample: Any) -> StandInData:
        return cls(
            sample.classifications,
            sample.subjects,
            sample.workflows,
            sample.workflow_versions,
            getattr(sample, "projects", None),
        )

    def publish(self, count: int) -> list[int]:
        """Make only the first ``count`` classifications (by id) visible; returns their ids."""
        visible = self.classification_ids[:count]
        self.visible_until = float(visible[-1]) if visible else 0.0
        return visible

    def publish_all(self) -> None:
        self.visible_until = math.inf

    def hide(self, ids: Iterable[int]) -> None:
        """Serve these ids to nobody until :meth:`reveal`: rows of a transaction that commits
        after rows with higher ids were already served (Panoptes assigns ids at insert)."""
        self.hidden.update(ids)

    def reveal(self, ids: Iterable[int] | None = None) -> None:
        """Make hidden ids visible (all of them by default)."""
        if ids is None:
            self.hidden.clear()
        else:
            self.hidden.difference_update(ids)

    def defer(self, ids: Iterable[int], until: int) -> None:
        """Serve these ids out of order: held back until a request asks after ``until`` or
        beyond, then added once at the end of that page (whose ids then go down)."""
        self.deferred.update(dict.fromkeys(ids, until))

    def replace_body(self, cid: int, body: bytes) -> None:
        """Serve classification ``cid`` as exactly these bytes (e.g. JSON the encoder refuses)."""
        for index in self._streams.values():
            if (at := index.position(cid)) is not None:
                index.bodies[at] = body

    def classifications(
        self, project_id: int, workflow_id: int | None, last_id: int, offset: int, limit: int
    ) -> tuple[list[bytes], int]:
        """A page of one stream and the id its ``next_href`` continues after.

        With ``overlap`` set, that id is ``overlap`` ids before the page's last one, so the next
        page serves them again.
        """
        index = self._streams.get((project_id, workflow_id))
        if index is None:
            return [], last_id
        withheld = self.hidden | self.deferred.keys()
        positions = index.after(last_id, self.visible_until, offset, limit, withheld)
        if not positions:
            return [], last_id
        continue_after = int(index.ids[positions[max(0, len(positions) - 1 - self.overlap)]])
        bodies = [index.bodies[at] for at in positions]
        due = sorted(cid for cid, until in self.deferred.items() if last_id >= until)
        for cid in due:
            del self.deferred[cid]
            if (at := index.position(cid)) is not None:
                bodies.append(index.bodies[at])
        return bodies, continue_after

    def subject_workflow_statuses(
        self, workflow_id: int | None, subject_id: int | None
    ) -> list[bytes]:
        """``/subject_workflow_statuses`` resources, counted from the visible classifications.

        A subject retires by ``classification_count`` when the workflow's ``retirement``
        says so (at its Nth classification); ``status_overrides[(subject, workflow)]`` replaces
        attributes, for a test that needs Panoptes to disagree with the landing.
        """
        limits = {workflow: self._retirement_count(workflow) for workflow in self._status_workflows}
        # each page of a listing asks again: the listing is built once for what decides it
        key = (
            workflow_id, subject_id, self.visible_until, sorted(limits.items()),
            repr(sorted(self.status_overrides.items())),
        )  # fmt: skip
        if self._statuses_served is not None and self._statuses_served[0] == key:
            return self._statuses_served[1]
        served: list[bytes] = []
        for number, ((subject, workflow), classified) in enumerate(
            sorted(self._classified.items()), start=1
        ):
            if workflow_id is not None and workflow != workflow_id:
                continue
            if subject_id is not None and subject != subject_id:
                continue
            visible = [(cid, at) for cid, at in classified if cid <= self.visible_until]
            if not visible:
                continue
            limit = limits[workflow]
            retired_at = visible[limit - 1][1] if limit and len(visible) >= limit else None
            resource: dict[str, Any] = {
                "id": str(number),
                "classifications_count": len(visible),
                "retired_at": retired_at,
                "retirement_reason": "classification_count" if retired_at else None,
                "created_at": visible[0][1],
                "updated_at": visible[-1][1],
                "links": {"workflow": str(workflow), "subject": str(subject)},
            }
            resource.update(self.status_overrides.get((subject, workflow), {}))
            served.append(orjson.dumps(resource))
        self._statuses_served = (key, served)
        return served

    def _retirement_count(self, workflow_id: int) -> int | None:
        for workflow in self.workflows:
            if numeric_id(workflow.get("id")) == workflow_id:
                retirement = workflow.get("retirement") or {}
                if retirement.get("criteria") == "classification_count":
                    return numeric_id((retirement.get("options") or {}).get("count"))
        return None


def _sample_image(subject: dict[str, Any]) -> bool:
    subject_id = numeric_id(subject.get("id"))
    return subject_id is not None and subject.get("locations") == [
        {"image/png": sample.image_url(subject_id)}
    ]


def numeric_id(value: Any) -> int | None:
    """An id given as an integer or a string of digits; None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _is_timestamp(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
