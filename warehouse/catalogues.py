"""Catalogues in the formats astronomers use: FITS tables in and out.

``gz-warehouse catalogue import`` reads an external catalogue's FITS table (the NSA, ...) with
astropy and writes it as parquet (atomically) under ``<data dir>/catalogues/`` for the
crossmatch; columns holding an array per row are left out (named in the summary), byte strings
become text.

``gz-warehouse catalogue write SCHEMA --format catalogue`` (also ``catalogue publish SCHEMA``)
writes a schema's catalogue (its published wide mart) as CSV and as a FITS table, the formats
Galaxy Zoo catalogues are published in; the FITS header says how the warehouse was built and
describes every column. ``--format zoobot`` is :mod:`warehouse.training_labels`.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv
import pyarrow.parquet as pq

from warehouse.published import mart_path
from warehouse.training_labels import read_settings, say_on_stderr


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


# Header cards of a published catalogue: the setting of warehouse_settings each is read from,
# its keyword (eight characters at most: no HIERARCH needed), its type and its comment.
SETTING_CARDS: tuple[tuple[str, str, type, str], ...] = (
    ("built_at", "BUILT", str, "warehouse build started (UTC)"),
    ("project_version", "PROJVER", str, "gz-warehouse (dbt project) version"),
    ("repeat_classifications", "REPEATS", str, "repeat classifications counted: first/last/all"),
    ("fraction_interval_level", "INTLEVEL", float, "two-sided level of the Wilson intervals"),
    ("classified_after", "CLASSAFT", str, "only classifications at or after (empty: any)"),
    ("classified_before", "CLASSBEF", str, "only classifications before (empty: any)"),
    ("catalogue_min_total_votes", "MINVOTES", int, "min votes of the most answered question"),
    ("excluded_volunteers", "NEXCLUDE", int, "volunteers excluded (seed excluded_volunteers)"),
    ("volunteer_weighting_iterations", "WEIGHTIT", int, "volunteer weighting iterations"),
    ("volunteer_weight_tolerance", "WEIGHTOL", float, "weight drift left unapplied (0: exact)"),
)


def write_catalogue(
    schema: str,
    marts_dir: Path,
    out_dir: Path,
    project_dir: Path | None = None,
    say: Callable[[str], None] = say_on_stderr,
) -> list[tuple[Path, int]]:
    """``<schema>_vote_fractions`` from the published marts, as CSV and FITS in ``out_dir``.

    The FITS table's header says how it was made (SETTING_CARDS, from the published
    warehouse_settings) and describes each column (TCOMMn, the words of the schema's generated
    docs; TUNITn ``deg`` for ra and dec). Descriptions longer than a card continue on CONTINUE
    cards (the FITS 4.0 long-string convention)."""
    from astropy.io import fits
    from astropy.table import Table

    mart = mart_path(marts_dir, f"{schema}_vote_fractions")
    if mart is None:
        raise FileNotFoundError(
            f"no published catalogue {marts_dir / f'{schema}_vote_fractions'}; run dbt build"
            " (it publishes the marts)"
        )
    table = pq.read_table(mart)
    table = table.drop_columns([c for c in table.column_names if c.startswith("_")])
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    csv_path = out_dir / f"{schema}.csv"
    atomically(csv_path, lambda temp: pa.csv.write_csv(table, temp))
    written.append((csv_path, table.num_rows))
    fits_path = out_dir / f"{schema}.fits"
    astropy_table = Table(
        {name: _fits_values(table[name]) for name in table.column_names},
        meta={"EXTNAME": schema.upper()[:68]},
    )
    for name in ("ra", "dec"):
        if name in astropy_table.colnames:
            astropy_table[name].unit = "deg"
    hdu = fits.table_to_hdu(astropy_table)
    descriptions = column_descriptions(schema, project_dir, say)
    for index, name in enumerate(table.column_names, start=1):
        if descriptions.get(name):
            anchor = f"TUNIT{index}" if f"TUNIT{index}" in hdu.header else f"TFORM{index}"
            hdu.header.set(f"TCOMM{index}", _header_text(descriptions[name]), after=anchor)
    hdu.header["ORIGIN"] = ("gz-warehouse", "written by")
    hdu.header["DATE"] = (
        datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "file written (UTC)",
    )
    for keyword, value, comment in setting_cards(read_settings(marts_dir, say)):
        hdu.header[keyword] = (value, comment)
    hdul = fits.HDUList([fits.PrimaryHDU(), hdu])
    atomically(
        fits_path, lambda temp: hdul.writeto(temp, overwrite=True, output_verify="exception")
    )
    written.append((fits_path, table.num_rows))
    return written


def setting_cards(settings: dict[str, str | None]) -> list[tuple[str, Any, str]]:
    """The header cards (keyword, value, comment) of the settings there are."""
    cards = []
    for setting, keyword, kind, comment in SETTING_CARDS:
        if setting not in settings:
            continue
        text = settings[setting]
        if text is None or text == "":
            value: Any = ""
        else:
            try:
                value = kind(float(text)) if kind is int else kind(text)
            except ValueError:  # a value that is not the number it should be: as written
                value = text
        cards.append((keyword, _header_text(value) if isinstance(value, str) else value, comment))
    return cards


def column_descriptions(
    schema: str, project_dir: Path | None = None, say: Callable[[str], None] = say_on_stderr
) -> dict[str, str]:
    """Each column of ``<schema>_vote_fractions`` and its description in the schema's docs
    (as ``gz-warehouse document-schema`` writes them); empty, said in one line, without them."""
    import yaml

    from warehouse.dbt import PROJECT_DIR
    from warehouse.schema_docs import SchemaDocsError, render_properties

    try:
        properties = yaml.safe_load(render_properties(project_dir or PROJECT_DIR, schema))
    except (SchemaDocsError, OSError) as exc:
        say(f"note: columns left undescribed (no TCOMM cards): {exc}")
        return {}
    for model in properties["models"]:
        if model["name"] == f"{schema}_vote_fractions":
            return {c["name"]: c.get("description", "") for c in model["columns"]}
    return {}


def _header_text(text: str) -> str:
    """Text a FITS header can hold: printable ASCII on one line (accents and typographic
    quotes folded, anything else dropped)."""
    folded = unicodedata.normalize("NFKD", " ".join(str(text).split()))
    folded = folded.translate(str.maketrans("\u2018\u2019\u201c\u201d\u2013\u2014", "''\"\"--"))
    return "".join(c for c in folded if " " <= c <= "~")


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


def atomically(path: Path, write: Any) -> None:
    """Write beside ``path``, then rename into place: a reader sees the old or the new file."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(temp)
    os.replace(temp, path)
