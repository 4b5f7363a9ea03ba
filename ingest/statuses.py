"""Panoptes' own per-subject counts: ``/subject_workflow_statuses``, landed as snapshots.

Panoptes keeps, per subject and workflow, how many classifications it counted towards
retirement and when and why the subject retired. Every run reads them all and lands only the
statuses whose count, retirement time or reason differ from the latest snapshot landed for that
subject and workflow (append-only: a changed status is a new snapshot, never an update). The
warehouse reads the latest snapshot of each, for the subjects' retirement and to reconcile
the landed classifications with Panoptes' counts.

Statuses are visible only to owners and collaborators of the project: a refusal (HTTP 403 or
404) is logged in one line and the run goes on without them.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import duckdb
import pyarrow as pa

from ingest import records
from ingest.landing import REJECTED, SUBJECT_WORKFLOW_STATUSES, Landing
from ingest.panoptes import MAX_PAGE_SIZE, PanoptesClient, PanoptesError
from ingest.progress import Progress
from ingest.queries import query

log = logging.getLogger(__name__)

RESOURCE = "subject_workflow_statuses"
ENTITY = "subject_workflow_status"
# Statuses compared and landed together: 50 pages.
BATCH = 50 * MAX_PAGE_SIZE
# Not visible to these credentials: the project's statuses are its owners' and collaborators'.
REFUSED = frozenset({403, 404})


@dataclass
class StatusIngestSummary:
    """What one run did with the subject workflow statuses."""

    workflow_ids: list[int] = field(default_factory=list)
    fetched: int = 0
    landed: int = 0
    rejected: int = 0
    files: int = 0
    refused: str | None = None  # why the statuses could not be read, when they could not

    def count_line(self) -> str:
        """The summary line, in the format of the other counts of ``ingest api``."""
        return (
            f"  new status snapshots  {self.landed:>10,}   "
            f"(of {self.fetched:,} subject statuses read; unchanged ones are not landed again)"
        )

    def notes(self) -> list[str]:
        """What the reader should know beyond the count: statuses that could not be read."""
        if not self.refused:
            return []
        return [
            "  subject statuses were not readable with these credentials (project owners and "
            "collaborators only): retirement figures fall back to an estimate"
        ]

    def lines(self) -> list[str]:
        return [self.count_line(), *self.notes()]


def ingest_subject_workflow_statuses(
    client: PanoptesClient,
    landing: Landing,
    project_id: int,
    workflow_ids: Iterable[int],
    progress: Progress | None = None,
) -> StatusIngestSummary:
    """Land the statuses of each workflow that changed since their latest landed snapshot."""
    progress = progress or Progress()
    summary = StatusIngestSummary(workflow_ids=sorted(set(workflow_ids)))
    try:
        for workflow_id in summary.workflow_ids:
            _ingest_workflow(client, landing, project_id, workflow_id, progress, summary)
    except PanoptesError as exc:
        if exc.status not in REFUSED:
            raise
        summary.refused = str(exc)
        log.warning("subject workflow statuses not landed (owners and collaborators only): %s", exc)
    finally:
        progress.finish()
    landing.ensure_statuses_readable()
    return summary


def _ingest_workflow(
    client: PanoptesClient,
    landing: Landing,
    project_id: int,
    workflow_id: int,
    progress: Progress,
    summary: StatusIngestSummary,
) -> None:
    set_aside = landing.rejected_ids(ENTITY, workflow_id=workflow_id)
    resources = client.listing(
        f"/{RESOURCE}", {"workflow_id": workflow_id, "page_size": MAX_PAGE_SIZE}, RESOURCE
    )
    progress.start(f"workflow {workflow_id} subject statuses")
    with (
        duckdb.connect() as con,
        landing.writer(SUBJECT_WORKFLOW_STATUSES) as landed,
        landing.writer(REJECTED) as rejected,
    ):
        _load_latest_snapshots(con, landing, workflow_id)
        for batch in _batches(resources, BATCH):
            ingested_at = _now()
            rows, rejects = records.convert_all(
                batch,
                partial(
                    records.subject_workflow_status_row,
                    workflow_id=workflow_id,
                    project_id=project_id,
                    ingested_at=ingested_at,
                ),
            )
            con.register("fetched", pa.Table.from_pylist(rows, SUBJECT_WORKFLOW_STATUSES.schema))
            changed = con.sql(query("ingest", "changed_statuses")).to_arrow_table()
            con.from_arrow(changed).insert_into("latest_statuses")
            landed.write(changed)
            rejected.extend(
                records.rejected_row(ENTITY, resource, reason, project_id, workflow_id, ingested_at)
                for resource, reason in rejects
                if _resource_id(resource) not in set_aside
            )
            summary.fetched += len(batch)
            progress.advance(rows=len(batch), pages=-(-len(batch) // MAX_PAGE_SIZE))
    summary.landed += landed.rows_written
    summary.rejected += rejected.rows_written
    summary.files += len(landed.files_written) + len(rejected.files_written)


def _load_latest_snapshots(
    con: duckdb.DuckDBPyConnection, landing: Landing, workflow_id: int
) -> None:
    """Table ``latest_statuses``: the latest landed snapshot of each subject of the workflow."""
    files = [str(p) for p in landing.files(SUBJECT_WORKFLOW_STATUSES, workflow_id=workflow_id)]
    if files:
        latest = con.sql(query("ingest", "latest_landed_statuses"), params={"files": files})
    else:
        latest = con.from_arrow(SUBJECT_WORKFLOW_STATUSES.schema.empty_table())
    latest.create("latest_statuses")


def _batches(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _resource_id(resource: Any) -> int | None:
    try:
        return records.parse_id(resource.get("id") if isinstance(resource, dict) else None, "id")
    except records.RecordError:
        return None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
