"""``ingest api``: land what Panoptes has that the landing does not, and nothing twice.

Per (project, workflow) the watermark is the largest classification id already landed. Each
run reads, with keyset paging:

* after the watermark, to the end of the stream: what is new;
* the lookback window below it, the classifications created in the ``lookback_minutes``
  before the newest landed one: Panoptes assigns ids at insert, so a transaction that commits
  late makes a lower id visible after higher ones were served;
* one window from each id an export set aside and nothing has landed since, far enough to
  cover the cluster of nearby ids it belongs to: the API may serve those rows whole.

A resource is new when the stream has neither landed nor set aside its id (see
:mod:`ingest.convert`), whatever order it comes in and however often. Rows set aside land no
later than the good rows after them, and never move the watermark. Subjects named by landed
classifications but not landed yet are fetched 100 at a time, then every workflow version not
landed yet, then Panoptes' subject workflow statuses (see :mod:`ingest.statuses`), then the
project's name and its workflows' names and retirement rules (landed when they changed; a
failure to read them is a warning, not a failed run). A crash at any point leaves only whole
files; the next run picks up from what they hold.
"""

from __future__ import annotations

import bisect
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from ingest import records
from ingest.convert import ClassificationConverter
from ingest.landing import (
    CLASSIFICATIONS,
    PROJECTS,
    REJECTED,
    ROWS_PER_FILE,
    SUBJECTS,
    WORKFLOW_VERSIONS,
    WORKFLOWS,
    Landing,
    RejectionStatus,
)
from ingest.panoptes import MAX_PAGE_SIZE, PanoptesClient, PanoptesError, RawPage
from ingest.panoptes import workflow_ids as workflow_ids_of
from ingest.progress import Progress
from ingest.settings import DEFAULT_LOOKBACK_MINUTES
from ingest.statuses import StatusIngestSummary, ingest_subject_workflow_statuses

log = logging.getLogger(__name__)
T = TypeVar("T")

# A batch of pages is converted at once: at most this many pages and (unless one page is larger
# on its own) this many bytes of response bodies. Up to BATCHES_AHEAD more wait, fetched.
PAGES_PER_BATCH = 50
BATCH_BYTES = 32 * 1024 * 1024
BATCHES_AHEAD = 2


@dataclass
class ApiIngestSummary:
    project_id: int
    workflow_ids: list[int] = field(default_factory=list)
    classifications: int = 0
    rejected: int = 0
    late_arrivals: int = 0
    set_aside_by_export_landed: int = 0
    skipped_already_landed: int = 0
    skipped_other_workflow: int = 0
    subjects: int = 0
    subjects_not_found: int = 0
    workflow_versions: int = 0
    statuses: StatusIngestSummary | None = None
    project_snapshots: int = 0
    workflow_snapshots: int = 0
    project_not_read: str | None = None  # why the project or its workflows could not be read
    files: int = 0
    requests: int = 0
    seconds: float = 0.0
    classification_seconds: float = 0.0
    set_aside: RejectionStatus = field(default_factory=RejectionStatus)

    @property
    def classification_rate(self) -> float:
        """Classifications landed per second of the classification streams."""
        seconds = self.classification_seconds
        return self.classifications / seconds if seconds else 0.0

    def lines(self) -> list[str]:
        workflows = ", ".join(str(w) for w in self.workflow_ids) or "none"
        lines = [
            f"ingest api: project {self.project_id}, workflows {workflows}",
            f"  new classifications   {self.classifications:>10,}",
            f"  late arrivals landed  {self.late_arrivals:>10,}",
            f"  new subjects          {self.subjects:>10,}",
            f"  new workflow versions {self.workflow_versions:>10,}",
            *([self.statuses.count_line()] if self.statuses else []),
            f"  new project snapshots {self.project_snapshots:>10,}",
            f"  new workflow snapshots{self.workflow_snapshots:>10,}",
            f"  rejected rows         {self.rejected:>10,}",
            f"  files landed          {self.files:>10,}",
            f"  requests              {self.requests:>10,}",
            f"  seconds               {self.seconds:>10.1f}",
            f"  classifications/s     {self.classification_rate:>10,.0f}   (while streaming them)",
        ]
        if self.rejected:
            lines.append("  rejected rows are kept with their reason under raw/rejected/")
        if self.set_aside_by_export_landed:
            lines.append(
                f"  {self.set_aside_by_export_landed:,} classifications an export had set aside "
                "were landed from the API"
            )
        if self.subjects_not_found:
            lines.append(
                f"  {self.subjects_not_found:,} subjects were not returned by the API "
                "(deleted or private); they are asked for again next run"
            )
        if self.skipped_other_workflow:
            lines.append(
                f"  {self.skipped_other_workflow:,} rows of other workflows were served and "
                "left to their own stream"
            )
        if self.statuses:
            lines.extend(self.statuses.notes())
        if self.project_not_read:
            lines.append(
                "  the project or its workflows could not be read (see the warning): names and "
                "retirement rules are as last landed"
            )
        lines.append(self.set_aside.line())
        return lines


def ingest_api(
    client: PanoptesClient,
    landing: Landing,
    project_id: int,
    workflow_ids: list[int] | None = None,
    page_size: int = MAX_PAGE_SIZE,
    progress: Progress | None = None,
    rows_per_file: int = ROWS_PER_FILE,
    lookback_minutes: float = DEFAULT_LOOKBACK_MINUTES,
) -> ApiIngestSummary:
    started = time.monotonic()
    progress = progress or Progress()
    summary = ApiIngestSummary(project_id=project_id)
    stale = landing.remove_stale_temp_files()
    if stale:
        log.info("removed %d temporary files left by an interrupted run", stale)

    listed: list[Any] | None = None
    if not workflow_ids:
        listed = client.workflows(project_id)
        workflow_ids = workflow_ids_of(listed)
        if not workflow_ids:
            raise PanoptesError(
                f"project {project_id} has no workflows visible to these credentials"
            )
        log.info("project %d has workflows %s", project_id, workflow_ids)
    summary.workflow_ids = sorted(set(workflow_ids))

    try:
        streaming = time.monotonic()
        for workflow_id in summary.workflow_ids:
            _ingest_classifications(
                client, landing, project_id, workflow_id, page_size, progress, summary,
                rows_per_file, lookback_minutes,
            )  # fmt: skip
        summary.classification_seconds = time.monotonic() - streaming
        _ingest_subjects(client, landing, project_id, progress, summary)
        known = set(summary.workflow_ids) | landing.landed_workflow_ids(project_id)
        _ingest_workflow_versions(client, landing, sorted(known), summary)
        summary.statuses = ingest_subject_workflow_statuses(
            client, landing, project_id, sorted(known), progress
        )
        summary.rejected += summary.statuses.rejected
        summary.files += summary.statuses.files
        _ingest_project(client, landing, project_id, listed, summary)
        landing.ensure_rejected_readable()
        summary.set_aside = landing.rejection_status()
    finally:
        progress.finish()
        summary.requests = client.requests_made
        summary.seconds = time.monotonic() - started
    return summary


@dataclass(frozen=True)
class _Reads:
    """What one stream reads: after ``watermark`` to the end, the lookback window
    ``(lookback_after, watermark]``, and a window from each id of ``set_aside_by_export``."""

    watermark: int
    lookback_after: int
    set_aside_by_export: list[int]


@dataclass(frozen=True)
class _Page:
    raw: RawPage
    below_lookback: bool = False  # read for an id an export set aside, below the lookback

    @property
    def size(self) -> int:
        return len(self.raw.body)


def _ingest_classifications(
    client: PanoptesClient,
    landing: Landing,
    project_id: int,
    workflow_id: int,
    page_size: int,
    progress: Progress,
    summary: ApiIngestSummary,
    rows_per_file: int = ROWS_PER_FILE,
    lookback_minutes: float = DEFAULT_LOOKBACK_MINUTES,
) -> None:
    watermark = landing.classification_watermark(project_id, workflow_id)
    lookback_after = watermark
    if watermark and lookback_minutes > 0:
        lookback_after = landing.lookback_start(project_id, workflow_id, lookback_minutes)
    reads = _Reads(
        watermark,
        lookback_after,
        landing.classifications_set_aside_by_export(workflow_id, through=lookback_after),
    )
    log.info(
        "workflow %d: asking for classifications after id %d, again after id %d (the %g "
        "minutes before the newest landed), and around %d ids an export set aside",
        workflow_id, watermark, lookback_after, lookback_minutes, len(reads.set_aside_by_export),
    )  # fmt: skip
    progress.start(f"workflow {workflow_id} classifications")
    landed_files = landing.classification_files(workflow_id)
    export_ids = pa.array(reads.set_aside_by_export, pa.int64())
    converter = ClassificationConverter(project_id, workflow_id)
    try:
        with landing.reading(landed_files):
            converter.remember_landed(landed_files, lookback_after)
        with landing.reading(landing.api_rejected_files()):
            converter.remember_set_aside(landing.api_rejected_files())
        # Rows set aside land before any good row after them: a crash between the two files
        # must not leave the watermark above rows neither landed nor set aside.
        with (
            landing.writer(REJECTED) as rejected,
            landing.writer(CLASSIFICATIONS, rows_per_file, before_landing=rejected.close) as landed,
        ):
            pages = _classification_pages(client, project_id, workflow_id, page_size, reads)
            for batch in _prefetched(_batches(pages), depth=BATCHES_AHEAD):
                # pages read far below the watermark are checked against the landed files
                checked = landed_files if any(page.below_lookback for page in batch) else []
                with landing.reading(checked):
                    converted = converter.convert(
                        [page.raw.body for page in batch], _now(), checked
                    )
                rejected.write(converted.rejected)
                landed.write(converted.landed)
                ids = converted.landed["classification_id"]
                older = ids.filter(pc.less_equal(ids, watermark))
                from_export = pc.sum(pc.is_in(older, export_ids)).as_py() or 0
                summary.set_aside_by_export_landed += from_export
                summary.late_arrivals += len(older) - from_export
                summary.skipped_already_landed += converted.skipped_already_landed
                summary.skipped_other_workflow += converted.skipped_other_stream
                progress.advance(rows=converted.landed.num_rows, pages=len(batch))
    finally:
        converter.close()
    summary.classifications += landed.rows_written
    summary.rejected += rejected.rows_written
    summary.files += len(landed.files_written) + len(rejected.files_written)
    progress.finish()


def _classification_pages(
    client: PanoptesClient, project_id: int, workflow_id: int, page_size: int, reads: _Reads
) -> Iterator[_Page]:
    """The pages of one stream's reads, in turn: new, the lookback window, export windows.

    Each export window starts at the lowest id still to look for and is one page long: a page
    covers the ids set aside up to its last id, so nearby ids share a request.
    """
    for page in client.classification_pages(project_id, workflow_id, reads.watermark, page_size):
        yield _Page(page)
    if reads.lookback_after < reads.watermark:
        after = reads.lookback_after
        for page in client.classification_pages(project_id, workflow_id, after, page_size):
            yield _Page(page)
            through = _continues_after(page)
            if through is None or through >= reads.watermark:
                break
    wanted = reads.set_aside_by_export
    at = 0
    while at < len(wanted):
        window = client.classification_pages(project_id, workflow_id, wanted[at] - 1, page_size)
        page = next(window)
        window.close()
        through = _continues_after(page)
        if through is None:  # nothing is served after that id
            return
        yield _Page(page, below_lookback=True)
        at = max(at + 1, bisect.bisect_right(wanted, through))


def _continues_after(page: RawPage) -> int | None:
    """The ``last_id`` a page's ``next_href`` continues after (its largest id); ``None`` at the
    end of the stream."""
    if page.next_href is None:
        return None
    values = parse_qs(urlsplit(page.next_href).query).get("last_id") or []
    return int(values[0]) if values and values[0].isdigit() else None


def _batches(
    pages: Iterable[_Page], max_pages: int = PAGES_PER_BATCH, max_bytes: int = BATCH_BYTES
) -> Iterator[list[_Page]]:
    """Pages grouped into batches of at most ``max_pages`` pages and ``max_bytes`` bytes; a page
    larger than ``max_bytes`` is a batch of its own."""
    batch: list[_Page] = []
    size = 0
    for page in pages:
        if batch and (len(batch) >= max_pages or size + page.size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(page)
        size += page.size
    if batch:
        yield batch


def _ingest_subjects(
    client: PanoptesClient,
    landing: Landing,
    project_id: int,
    progress: Progress,
    summary: ApiIngestSummary,
) -> None:
    missing = landing.missing_subject_ids(project_id)
    if not missing:
        return
    progress.start("subjects")
    with landing.writer(SUBJECTS) as landed, landing.writer(REJECTED) as rejected:
        for start in range(0, len(missing), MAX_PAGE_SIZE):
            chunk = missing[start : start + MAX_PAGE_SIZE]
            resources = client.subjects(chunk)
            ingested_at = _now()
            rows, rejects = records.convert_all(
                resources,
                partial(
                    records.subject_row, default_project_id=project_id, ingested_at=ingested_at
                ),
            )
            landed.extend(rows)
            rejected.extend(
                records.rejected_row("subject", resource, reason, project_id, None, ingested_at)
                for resource, reason in rejects
            )
            returned = {row["subject_id"] for row in rows}
            summary.subjects_not_found += len(set(chunk) - returned)
            progress.advance(rows=len(resources))
    summary.subjects += landed.rows_written
    summary.rejected += rejected.rows_written
    summary.files += len(landed.files_written) + len(rejected.files_written)
    progress.finish()


def _ingest_workflow_versions(
    client: PanoptesClient, landing: Landing, workflow_ids: list[int], summary: ApiIngestSummary
) -> None:
    with landing.writer(WORKFLOW_VERSIONS) as landed, landing.writer(REJECTED) as rejected:
        for workflow_id in workflow_ids:
            known = landing.landed_workflow_version_ids(workflow_id)
            ingested_at = _now()
            rows, rejects = records.convert_all(
                client.workflow_versions(workflow_id),
                partial(
                    records.workflow_version_row, workflow_id=workflow_id, ingested_at=ingested_at
                ),
            )
            landed.extend(row for row in rows if row["workflow_version_id"] not in known)
            rejected.extend(
                records.rejected_row(
                    "workflow_version",
                    resource,
                    reason,
                    summary.project_id,
                    workflow_id,
                    ingested_at,
                )
                for resource, reason in rejects
            )
    summary.workflow_versions += landed.rows_written
    summary.rejected += rejected.rows_written
    summary.files += len(landed.files_written) + len(rejected.files_written)


def _ingest_project(
    client: PanoptesClient,
    landing: Landing,
    project_id: int,
    listed: list[Any] | None,
    summary: ApiIngestSummary,
) -> None:
    """Land the project's name and slug and its workflows (``listed``, or listed now) where
    they differ from the latest snapshot landed. Neither is needed for the classifications: a
    request that fails is one warning, and nothing of it lands."""

    def read(what: str, request: Callable[[], list[Any]]) -> list[Any]:
        try:
            return request()
        except PanoptesError as exc:
            summary.project_not_read = str(exc)
            log.warning("project %d's %s not landed: %s", project_id, what, exc)
            return []

    project = read("name", partial(client.project, project_id))
    workflows = (
        read("workflows", partial(client.workflows, project_id)) if listed is None else listed
    )
    ingested_at = _now()
    projects, project_rejects = records.convert_all(
        project, partial(records.project_row, project_id=project_id, ingested_at=ingested_at)
    )
    rows, workflow_rejects = records.convert_all(
        workflows, partial(records.workflow_row, project_id=project_id, ingested_at=ingested_at)
    )
    set_aside = {
        entity: landing.rejected_ids(entity, project_id=project_id)
        for entity in ("project", "workflow")
    }
    with (
        landing.writer(PROJECTS) as landed_projects,
        landing.writer(WORKFLOWS) as landed_workflows,
        landing.writer(REJECTED) as rejected,
    ):
        landed_projects.extend(landing.new_snapshots(PROJECTS, projects))
        landed_workflows.extend(landing.new_snapshots(WORKFLOWS, rows))
        rejected.extend(
            records.rejected_row("project", resource, reason, project_id, None, ingested_at)
            for resource, reason in project_rejects
            if _resource_id(resource) not in set_aside["project"]
        )
        rejected.extend(
            records.rejected_row("workflow", resource, reason, project_id, None, ingested_at)
            for resource, reason in workflow_rejects
            if _resource_id(resource) not in set_aside["workflow"]
        )
    landing.ensure_workflows_readable()
    summary.project_snapshots += landed_projects.rows_written
    summary.workflow_snapshots += landed_workflows.rows_written
    summary.rejected += rejected.rows_written
    summary.files += sum(
        len(w.files_written) for w in (landed_projects, landed_workflows, rejected)
    )


def _resource_id(resource: Any) -> int | None:
    try:
        return records.parse_id(resource.get("id") if isinstance(resource, dict) else None, "id")
    except records.RecordError:
        return None


def _prefetched(items: Iterator[T], depth: int = BATCHES_AHEAD) -> Iterator[T]:
    """Fetch the following items (batches of pages) on a thread while the caller lands the
    current one; at most ``depth`` wait.

    Keyset paging is sequential (each request needs the previous page's last id), so this
    only overlaps waiting for the server with parsing and writing; order is preserved and an
    error on the fetching side is raised here, after the items before it.
    """
    handoff: queue.Queue[T | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: T | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    worker = threading.Thread(target=fetch, name="page-prefetch", daemon=True)
    worker.start()
    try:
        while (item := handoff.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
