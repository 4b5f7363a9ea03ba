"""Catalogues in the formats astronomers use: FITS tables in and out.

``gz-warehouse catalogue import`` reads an external catalogue's FITS table (the NSA, ...) with
astropy and writes it as parquet (atomically) under ``<data dir>/catalogues/`` for the
crossmatch; columns holding an array per row are left out (named in the summary), byte strings
become text.

``gz-warehouse catalogue publish`` writes a schema's catalogue (its published wide mart) as CSV
and as a FITS table, the formats Galaxy Zoo catalogues are published in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv
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
        lines.append(
            f"  use it: gz-warehouse build -- --vars '{{external_catalogue: {self.target}}}'"
        )
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


def write_catalogue(schema: str, marts_dir: Path, out_dir: Path) -> list[tuple[Path, int]]:
    """``<schema>_vote_fractions`` from the published marts, as CSV and FITS in ``out_dir``."""
    from astropy.table import Table

    mart = marts_dir / f"{schema}_vote_fractions.parquet"
    if not mart.is_file():
        raise FileNotFoundError(
            f"no published catalogue {mart}; run dbt build (it publishes the marts)"
        )
    table = pq.read_table(mart)
    table = table.drop_columns([c for c in table.column_names if c.startswith("_")])
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    csv_path = out_dir / f"{schema}.csv"
    _atomically(csv_path, lambda temp: pa.csv.write_csv(table, temp))
    written.append((csv_path, table.num_rows))
    fits_path = out_dir / f"{schema}.fits"
    astropy_table = Table(
        {name: _fits_values(table[name]) for name in table.column_names},
        meta={"EXTNAME": schema.upper()[:68]},
    )
    for name in ("ra", "dec"):
        if name in astropy_table.colnames:
            astropy_table[name].unit = "deg"
    _atomically(fits_path, lambda temp: astropy_table.write(temp, format="fits", overwrite=True))
    written.append((fits_path, table.num_rows))
    return written


def _fits_values(column: pa.ChunkedArray) -> np.ma.MaskedArray:
    """A column for FITS: text as fixed-width strings, times as ISO text, nulls masked."""
    mask = column.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        column = pc.cast(column, pa.string())
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        filled = pc.fill_null(column, "").to_numpy(zero_copy_only=False).astype(str)
    elif pa.types.is_boolean(column.type):
        filled = pc.fill_null(column, False).to_numpy(zero_copy_only=False)
    else:
        filled = pc.fill_null(column, 0).to_numpy(zero_copy_only=False)
    return np.ma.array(filled, mask=mask)


def _atomically(path: Path, write: Any) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(temp)
    os.replace(temp, path)
