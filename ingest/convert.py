"""Classification pages from the API to landing rows, in one DuckDB statement per batch.

Pages arrive as raw response bodies. DuckDB splits them into resources, checks each one and
types its fields in C++ with the GIL released, so fetching the next pages goes on meanwhile.
A resource that cannot be landed keeps its text and gets the first reason that applies; a page
that is not JSON at all is kept whole, with its reason. Nothing is dropped unaccounted.

What the stream has landed or set aside is kept in tables of the converter's own connection
(``seen``), filled from the landing and by every batch; a resource served again (pages that
overlap, a window read again, ids served out of order) is recognised there rather than by
comparing ids with a watermark, so a lower id served late still lands, once. Pages read far
below the newest landed id are checked against the landed files themselves instead, so that
``seen`` never has to hold a whole landing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ingest import records
from ingest.landing import CLASSIFICATIONS, REJECTED
from ingest.queries import query

_UNREADABLE = pa.schema(
    [
        ("page_number", pa.int64()),
        ("classification_id", pa.int64()),
        ("reason", pa.string()),
        ("raw", pa.string()),
    ]
)
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_NO_IDS = pa.schema([("classification_id", pa.int64())]).empty_table()


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
        self._con.execute(query("ingest", "classification_seen"))

    def close(self) -> None:
        self._con.close()

    # -- what the stream has already landed or set aside ---------------------------------------

    def remember(self, ids: Iterable[int]) -> None:
        """Take these classification ids as landed already."""
        table = pa.table({"classification_id": pa.array(list(ids), pa.int64())})
        self._con.from_arrow(table).insert_into("seen")

    def remember_landed(self, files: list[Path], after_id: int) -> None:
        """Take as landed the ids above ``after_id`` in landed ``files``."""
        if files:
            params = {"files": [str(p) for p in files], "after_id": after_id}
            self._con.execute(query("ingest", "seen_landed"), params)

    def remember_set_aside(self, files: list[Path]) -> None:
        """Take as set aside the stream's classifications in these ``raw/rejected`` files."""
        if files:
            params = {"files": [str(p) for p in files], "workflow_id": self.workflow_id}
            self._con.execute(query("ingest", "seen_set_aside"), params)
            self._con.execute(query("ingest", "seen_set_aside_unidentified"), params)

    # -- converting ------------------------------------------------------------------------------

    def convert(
        self, pages: list[bytes], ingested_at: datetime, landed_files: list[Path] | None = None
    ) -> Converted:
        """Rows to land (new, of this stream) and rows to set aside, each once.

        An id is taken as landed when it is in ``seen`` or, if given, in ``landed_files``.

        A page DuckDB cannot parse but Python's JSON reader can (a lone surrogate in a string:
        valid JSON text, not valid Unicode) is split: the resources that encode as UTF-8 are
        converted like any other, each of the others set aside with its reason.
        """
        texts = _as_text(pages)
        if landed_files:
            self._con.read_parquet([str(p) for p in landed_files]).select(
                "classification_id"
            ).create_view("landed_files")
        else:
            self._con.from_arrow(_NO_IDS).create_view("landed_files")
        table = self._run(texts, _UNREADABLE.empty_table(), range(1, len(pages) + 1))
        whole = pc.and_(table["whole_page"], pc.equal(table["disposition"], "reject"))
        salvaged = [
            (number, *split)
            for number in table.filter(whole)["page_number"].to_pylist()
            if (split := _split_page(texts[number - 1].as_py())) is not None
        ]
        if salvaged:
            numbers = pa.array([number for number, _, _ in salvaged], pa.int64())
            table = table.filter(pc.invert(pc.and_(whole, pc.is_in(table["page_number"], numbers))))
            self._seen(table)
            unreadable = pa.Table.from_pylist(
                [dict(row, page_number=n) for n, _, rows in salvaged for row in rows],
                schema=_UNREADABLE,
            )
            again = self._run(
                pa.array([page for _, page, _ in salvaged], pa.string()), unreadable, numbers
            )
            self._seen(again)
            table = pa.concat_tables([table, again])
        else:
            self._seen(table)
        counts = {
            entry["values"]: entry["counts"]
            for entry in pc.value_counts(table["disposition"]).to_pylist()
        }
        return Converted(
            landed=self._landed(_where(table, "land"), ingested_at),
            rejected=self._rejected(_where(table, "reject"), ingested_at),
            skipped_already_landed=counts.get("seen", 0) + counts.get("repeated", 0),
            skipped_other_stream=counts.get("other_stream", 0),
        )

    def _run(self, texts: pa.Array, unreadable: pa.Table, numbers: Iterable[int]) -> pa.Table:
        batch = pa.table({"page_number": pa.array(numbers, pa.int64()), "page": texts})
        params = {"project_id": self.project_id, "workflow_id": self.workflow_id}
        self._con.register("batch", batch)
        self._con.register("unreadable", unreadable)
        try:
            return self._con.sql(
                query("ingest", "classification_pages"), params=params
            ).to_arrow_table()
        finally:
            self._con.unregister("batch")
            self._con.unregister("unreadable")

    def _seen(self, table: pa.Table) -> None:
        """Remember what this batch lands or sets aside."""
        kept = table.filter(pc.is_in(table["disposition"], pa.array(["land", "reject"])))
        identified = kept.filter(pc.is_valid(kept["classification_id"]))
        if identified.num_rows:
            self._con.from_arrow(identified.select(["classification_id"])).insert_into("seen")
        unidentified = kept.filter(pc.is_null(kept["classification_id"]))["raw"].to_pylist()
        if unidentified:
            digests = [hashlib.md5(raw.encode()).hexdigest() for raw in unidentified]
            table = pa.table({"raw_md5": pa.array(digests, pa.string())})
            self._con.from_arrow(table).insert_into("seen_unidentified")

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


def _split_page(text: str) -> tuple[str, list[dict[str, Any]]] | None:
    """A page DuckDB refused, as a page of the resources that encode as UTF-8 JSON and a row
    (its id, reason and text) for each of the others; ``None`` when it is not a JSON page of
    classifications at all (then it stays set aside whole)."""
    try:
        document = json.loads(text, parse_constant=_not_json)
    except ValueError:
        return None
    resources = document.get("classifications") if isinstance(document, dict) else None
    if not isinstance(resources, list):
        return None
    good: list[bytes] = []
    unreadable: list[dict[str, Any]] = []
    for resource in resources:
        try:
            good.append(orjson.dumps(resource))
        except orjson.JSONEncodeError as exc:
            # the text as served: a lone surrogate written back as its \uXXXX escape
            served = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
            text = served.encode("utf-8", "backslashreplace").decode()
            lone = _LONE_SURROGATE.search(text)
            reason = (
                f"classification holds a lone surrogate ({lone.group()}) in a string: not valid "
                "Unicode"
                if lone
                else f"classification cannot be written as UTF-8 JSON: {exc}"
            )
            unreadable.append(
                {"classification_id": _id_of(resource), "reason": reason, "raw": text}
            )
    return (b'{"classifications":[' + b",".join(good) + b"]}").decode(), unreadable


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def _id_of(resource: Any) -> int | None:
    try:
        return records.parse_id(resource.get("id") if isinstance(resource, dict) else None, "id")
    except records.RecordError:
        return None


def _as_text(pages: list[bytes]) -> pa.Array:
    """Page bodies as an Arrow string column; a body that is not UTF-8 is decoded leniently."""
    try:
        return pa.array(pages, pa.binary()).cast(pa.string())
    except pa.ArrowInvalid:
        return pa.array([p.decode("utf-8", errors="replace") for p in pages], pa.string())


def _where(table: pa.Table, disposition: str) -> pa.Table:
    return table.filter(pc.equal(table["disposition"], disposition))
