"""``ingest catalogue``: an external catalogue's FITS table as parquet the warehouse can read.

Astronomical catalogues (the NSA, ...) are published as FITS. The first table HDU is read with
astropy and written as parquet (atomically) under ``<data dir>/catalogues/``; columns holding
an array per row are left out (named in the summary), byte strings become text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


@dataclass
class CatalogueSummary:
    source: Path
    target: Path
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            f"ingest catalogue: {self.source.name} -> {self.target}",
            f"  rows     {self.rows:,}",
            f"  columns  {len(self.columns)}",
        ]
        if self.left_out:
            lines.append(f"  left out (an array per row): {', '.join(self.left_out)}")
        lines.append(f"  use it: dbt build --vars '{{external_catalogue: {self.target}}}'")
        return lines


def convert_fits(source: Path, data_dir: Path) -> CatalogueSummary:
    from astropy.table import Table

    table = Table.read(source, format="fits")
    target = data_dir / "catalogues" / f"{source.name.split('.')[0]}.parquet"
    summary = CatalogueSummary(source, target)
    columns: dict[str, pa.Array] = {}
    for name in table.colnames:
        column = table[name]
        if len(column.shape) > 1:
            summary.left_out.append(name)
            continue
        columns[name] = _arrow_column(column)
    arrow = pa.table(columns)
    summary.rows, summary.columns = arrow.num_rows, arrow.column_names
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    pq.write_table(arrow, temp, compression="zstd")
    os.replace(temp, target)
    return summary


def _arrow_column(column: Any) -> pa.Array:
    """A FITS column as Arrow: masked values become nulls, byte strings trimmed text."""
    data = column.data
    mask = np.ma.getmaskarray(data) if np.ma.isMaskedArray(data) else None
    values = np.asarray(np.ma.getdata(data))
    if values.dtype.byteorder not in ("=", "|"):  # FITS is big-endian; Arrow wants native order
        values = values.astype(values.dtype.newbyteorder("="))
    if values.dtype.kind == "S":
        text = [v.decode(errors="replace").strip() for v in values.tolist()]
        return pa.array(text, mask=mask)
    if values.dtype.kind == "U":
        return pa.array([v.strip() for v in values.tolist()], mask=mask)
    return pa.array(values, mask=mask)
