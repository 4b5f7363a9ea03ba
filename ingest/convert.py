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
from ingest.queries import query


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
        self._con.execute(query("ingest", "macros"))

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
            table = self._con.sql(
                query("ingest", "classification_pages"), params=params
            ).to_arrow_table()
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
