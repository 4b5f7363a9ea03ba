"""``ingest api``: land what Panoptes has that the landing does not, and nothing twice.

Per (project, workflow) the watermark is the largest classification id already landed; the
stream asks for ``last_id = watermark`` and follows keyset paging to the end. Subjects named by
landed classifications but not landed yet are fetched 100 at a time, then every workflow
version not landed yet. A crash at any point leaves only whole files; the next run picks up
from what they hold.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

import pyarrow.compute as pc

from ingest import records
from ingest.convert import ClassificationConverter
from ingest.landing import (
    CLASSIFICATIONS,
    REJECTED,
    ROWS_PER_FILE,
    SUBJECTS,
    WORKFLOW_VERSIONS,
    Landing,
    RejectionStatus,
)
from ingest.panoptes import MAX_PAGE_SIZE, PanoptesClient, PanoptesError, RawPage
from ingest.progress import Progress

log = logging.getLogger(__name__)

PAGES_PER_BATCH = 50


@dataclass
class ApiIngestSummary:
    project_id: int
    workflow_ids: list[int] = field(default_factory=list)
    classifications: int = 0
    rejected: int = 0
    skipped_already_landed: int = 0
    skipped_other_workflow: int = 0
    subjects: int = 0
    subjects_not_found: int = 0
    workflow_versions: int = 0
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
            f"  new subjects          {self.subjects:>10,}",
            f"  new workflow versions {self.workflow_versions:>10,}",
            f"  rejected rows         {self.rejected:>10,}",
            f"  files landed          {self.files:>10,}",
            f"  requests              {self.requests:>10,}",
            f"  seconds               {self.seconds:>10.1f}",
            f"  classifications/s     {self.classification_rate:>10,.0f}   (while streaming them)",
        ]
        if self.rejected:
            lines.append("  rejected rows are kept with their reason under raw/rejected/")
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
) -> ApiIngestSummary:
    started = time.monotonic()
    progress = progress or Progress()
    summary = ApiIngestSummary(project_id=project_id)
    stale = landing.remove_stale_temp_files()
    if stale:
        log.info("removed %d temporary files left by an interrupted run", stale)

    if not workflow_ids:
        workflow_ids = client.workflow_ids(project_id)
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
                rows_per_file,
            )  # fmt: skip
        summary.classification_seconds = time.monotonic() - streaming
        _ingest_subjects(client, landing, project_id, progress, summary)
        known = set(summary.workflow_ids) | landing.landed_workflow_ids(project_id)
        _ingest_workflow_versions(client, landing, sorted(known), summary)
        landing.ensure_rejected_readable()
        summary.set_aside = landing.rejection_status()
    finally:
        progress.finish()
        summary.requests = client.requests_made
        summary.seconds = time.monotonic() - started
    return summary


def _ingest_classifications(
    client: PanoptesClient,
    landing: Landing,
    project_id: int,
    workflow_id: int,
    page_size: int,
    progress: Progress,
    summary: ApiIngestSummary,
    rows_per_file: int = ROWS_PER_FILE,
) -> None:
    last_id = landing.classification_watermark(project_id, workflow_id)
    log.info("workflow %d: asking for classifications after id %d", workflow_id, last_id)
    progress.start(f"workflow {workflow_id} classifications")
    converter = ClassificationConverter(project_id, workflow_id)
    batch: list[bytes] = []

    def land_batch() -> None:
        nonlocal last_id
        converted = converter.convert(batch, last_id, _now())
        landed.write(converted.landed)
        rejected.write(converted.rejected)
        if converted.landed.num_rows:
            last_id = max(last_id, pc.max(converted.landed["classification_id"]).as_py())
        summary.skipped_already_landed += converted.skipped_already_landed
        summary.skipped_other_workflow += converted.skipped_other_stream
        progress.advance(rows=converted.landed.num_rows, pages=len(batch))
        batch.clear()

    try:
        with (
            landing.writer(CLASSIFICATIONS, rows_per_file) as landed,
            landing.writer(REJECTED) as rejected,
        ):
            pages = client.classification_pages(project_id, workflow_id, last_id, page_size)
            for page in _prefetched(pages):
                batch.append(page.body)
                if len(batch) >= PAGES_PER_BATCH:
                    land_batch()
            if batch:
                land_batch()
    finally:
        converter.close()
    summary.classifications += landed.rows_written
    summary.rejected += rejected.rows_written
    summary.files += len(landed.files_written) + len(rejected.files_written)
    progress.finish()


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


def _prefetched(pages: Iterator[RawPage], depth: int = 2 * PAGES_PER_BATCH) -> Iterator[RawPage]:
    """Fetch the following pages on a thread while the caller lands the current one.

    Keyset paging is sequential (each request needs the previous page's last id), so this
    only overlaps waiting for the server with parsing and writing; order is preserved and an
    error on the fetching side is raised here, after the pages before it.
    """
    handoff: queue.Queue[RawPage | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: RawPage | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for page in pages:
                if not put(page):
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
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
