"""Classification pages from the API to landing rows, in one DuckDB statement per batch.

Pages arrive as raw response bodies. DuckDB splits them into resources, checks each one and
types its fields in C++ with the GIL released, so fetching the next pages goes on meanwhile.
A resource that cannot be landed keeps its text and gets the first reason that applies; a page
that is not JSON at all is kept whole, with its reason. Nothing is dropped unaccounted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ingest.landing import CLASSIFICATIONS, REJECTED

_RESOURCE_SHAPE = (
    '{"id": "VARCHAR", "created_at": "VARCHAR", "annotations": "JSON", "metadata": "JSON", '
    '"links": {"project": "VARCHAR", "user": "VARCHAR", "workflow": "VARCHAR", '
    '"subjects": ["VARCHAR"]}}'
)

# Ids are checked by a round trip: "12" casts to 12 and back to "12"; " 12", "012", "1e3" or
# "12.0" do not come back unchanged (cheaper than a regular expression per field).
_SQL = f"""
with pages as (
    select
        page_number,
        page,
        try(from_json(page, '{{"classifications": ["JSON"]}}')) as document
    from batch
),

resources as (
    select unnest(pages.document.classifications) as resource
    from pages
),

parsed as (
    select
        resource,
        json_transform(resource, '{_RESOURCE_SHAPE}') as r
    from resources
),

typed as (
    select
        resource,
        r,
        try_cast(r.id as bigint) as classification_id,
        try_cast(r.links.project as bigint) as project_id,
        try_cast(r.links.workflow as bigint) as workflow_id,
        try_cast(r.links.user as bigint) as user_id,
        try_cast(r.links.subjects as bigint []) as subject_ids,
        case
            when r.created_at like '%Z' then try_cast(r.created_at as timestamp)
            else try_cast(r.created_at as timestamptz) at time zone 'UTC'
        end as created_at
    from parsed
),

checked as (
    select
        *,
        case
            when not starts_with(resource, '{{')
                then 'classification is not an object'
            when classification_id is null or classification_id::varchar <> r.id
                then 'id is not an integer id: ' || coalesce(left(r.id, 40), 'missing')
            when project_id is null or project_id::varchar <> r.links.project
                then 'links.project is not an integer id: '
                    || coalesce(left(r.links.project, 40), 'missing')
            when workflow_id is null or workflow_id::varchar <> r.links.workflow
                then 'links.workflow is not an integer id: '
                    || coalesce(left(r.links.workflow, 40), 'missing')
            when r.links.user is not null and user_id::varchar is distinct from r.links.user
                then 'links.user is not an integer id: ' || left(r.links.user, 40)
            when coalesce(len(subject_ids), 0) = 0
                then 'classification has no subject'
            when list_count(subject_ids) <> len(subject_ids)
                or array_to_string(subject_ids, ',') <> array_to_string(r.links.subjects, ',')
                then 'links.subjects holds a value that is not an integer id'
            when created_at is null
                then 'created_at is not a timestamp: '
                    || coalesce(left(r.created_at, 40), 'missing')
            when not coalesce(starts_with(r.annotations, '['), false)
                then 'annotations is not a list'
            when not coalesce(starts_with(r.metadata, '{{'), false)
                then 'metadata is not an object'
        end as reason
    from typed
)

select
    case
        when reason is not null then 'reject'
        when project_id <> $project_id or workflow_id <> $workflow_id then 'other_stream'
        when classification_id <= $after_id then 'already_landed'
        else 'land'
    end as disposition,
    reason,
    classification_id,
    project_id,
    workflow_id,
    json_extract_string(r.metadata, '$.workflow_version') as workflow_version,
    user_id,
    subject_ids,
    created_at,
    r.annotations::varchar as annotations,
    r.metadata::varchar as metadata,
    resource::varchar as raw
from checked

union all by name

select
    'reject' as disposition,
    'page is not valid JSON (page ' || page_number || ' of the batch)' as reason,
    page as raw
from pages
where document is null
"""


@dataclass(frozen=True)
class Converted:
    """One batch of pages, split by what happens to each resource."""

    landed: pa.Table
    rejected: pa.Table
    skipped_already_landed: int
    skipped_other_stream: int


class ClassificationConverter:
    """Converts raw ``/classifications/project`` pages of one (project, workflow) stream."""

    def __init__(self, project_id: int, workflow_id: int, threads: int = 2) -> None:
        self.project_id = project_id
        self.workflow_id = workflow_id
        self._con = duckdb.connect(config={"threads": threads})
        self._con.execute("set TimeZone = 'UTC'")

    def close(self) -> None:
        self._con.close()

    def convert(self, pages: list[bytes], after_id: int, ingested_at: datetime) -> Converted:
        """Rows to land (ids above ``after_id``, this stream only) and rows to set aside."""
        batch = pa.table(
            {
                "page_number": pa.array(range(1, len(pages) + 1), pa.int64()),
                "page": _as_text(pages),
            }
        )
        params = {
            "project_id": self.project_id,
            "workflow_id": self.workflow_id,
            "after_id": after_id,
        }
        self._con.register("batch", batch)
        try:
            table = self._con.sql(_SQL, params=params).to_arrow_table()
        finally:
            self._con.unregister("batch")
        counts = {
            entry["values"]: entry["counts"]
            for entry in pc.value_counts(table["disposition"]).to_pylist()
        }
        return Converted(
            landed=self._landed(_where(table, "land"), ingested_at),
            rejected=self._rejected(_where(table, "reject"), ingested_at),
            skipped_already_landed=counts.get("already_landed", 0),
            skipped_other_stream=counts.get("other_stream", 0),
        )

    def _landed(self, table: pa.Table, ingested_at: datetime) -> pa.Table:
        n = table.num_rows
        columns = {
            **{
                name: table[name]
                for name in CLASSIFICATIONS.schema.names
                if name in table.column_names
            },
            "source": pa.repeat("api", n),
            "ingested_at": pa.repeat(pa.scalar(ingested_at, pa.timestamp("us")), n),
        }
        return pa.table(columns).select(CLASSIFICATIONS.schema.names).cast(CLASSIFICATIONS.schema)

    def _rejected(self, table: pa.Table, ingested_at: datetime) -> pa.Table:
        n = table.num_rows
        return pa.table(
            {
                "entity": pa.repeat("classification", n),
                "entity_id": table["classification_id"],
                "project_id": pa.repeat(pa.scalar(self.project_id, pa.int64()), n),
                "workflow_id": pa.repeat(pa.scalar(self.workflow_id, pa.int64()), n),
                "reason": table["reason"],
                "raw": table["raw"],
                "source": pa.repeat("api", n),
                "ingested_at": pa.repeat(pa.scalar(ingested_at, pa.timestamp("us")), n),
            },
            schema=REJECTED.schema,
        )


def _as_text(pages: list[bytes]) -> pa.Array:
    """Page bodies as an Arrow string column; a body that is not UTF-8 is decoded leniently."""
    try:
        return pa.array(pages, pa.binary()).cast(pa.string())
    except pa.ArrowInvalid:
        return pa.array([p.decode("utf-8", errors="replace") for p in pages], pa.string())


def _where(table: pa.Table, disposition: str) -> pa.Table:
    return table.filter(pc.equal(table["disposition"], disposition))
