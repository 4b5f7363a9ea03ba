"""``gz-warehouse catalogue write SCHEMA ... --format zoobot``: labels as zoobot reads them.

zoobot (and galaxy-datasets) train on a wide table of integer vote counts: ``id_str``,
``iauname``, ``ra``, ``dec``, ``file_loc``, then per question, as the decision tree walks,
``{question}{suffix}_{answer}`` for each answer and ``{question}{suffix}_total-votes``, the
suffix naming the campaign (``-dr5``) so that campaigns do not mix. The published mart
``training_labels`` holds them long; this pivots it into that table, several schemas side by
side (one row per galaxy, null where a campaign did not classify it), and writes it as parquet
(with the build's ``warehouse_settings`` as key/value metadata) and as CSV.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq

from ingest.queries import query

MART = "training_labels.parquet"
SETTINGS_MART = "warehouse_settings.parquet"
GALAXY_COLUMNS = ("id_str", "iauname", "ra", "dec", "file_loc")
METADATA_PREFIX = "gz_warehouse."


class CatalogueError(ValueError):
    """A catalogue cannot be written as asked; the message says why in one line."""


def say_on_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def read_settings(
    marts_dir: Path, say: Callable[[str], None] = say_on_stderr
) -> dict[str, str | None]:
    """The published ``warehouse_settings`` as {setting: value}; empty, said in one line, when
    no build has published it."""
    path = marts_dir / SETTINGS_MART
    if not path.is_file():
        say(
            f"note: no {path} (a build before warehouse_settings existed?): build settings left out"
        )
        return {}
    table = pq.read_table(path, columns=["setting", "value"])
    return dict(zip(table["setting"].to_pylist(), table["value"].to_pylist(), strict=True))


def zoobot_table(schemas: Sequence[str], marts_dir: Path) -> pa.Table:
    """The zoobot table of ``schemas`` (in that order) from the published ``training_labels``."""
    mart = marts_dir / MART
    if not mart.is_file():
        raise CatalogueError(f"no published {mart}; run dbt build (it publishes the marts)")
    if len(set(schemas)) != len(schemas):
        raise CatalogueError(f"a schema is named twice: {' '.join(schemas)}")
    with duckdb.connect() as con:
        con.execute(query("warehouse", "zoobot_labels"), {"mart": str(mart), "schemas": [*schemas]})
        columns = con.execute(query("warehouse", "zoobot_columns")).fetchall()
        found = {schema for schema, _ in columns}
        missing = [schema for schema in schemas if schema not in found]
        if missing:
            raise CatalogueError(
                f"{mart} has no training labels of {', '.join(missing)} (schemas in it: "
                f"{', '.join(_schemas_in(con, mart)) or 'none'})"
            )
        owner: dict[str, str] = {}
        for schema, column in columns:
            if column in owner or column in GALAXY_COLUMNS:
                raise CatalogueError(
                    f"column {column} is in both {owner.get(column, 'the galaxy columns')} and "
                    f"{schema}: give each schema its own campaign suffix in "
                    "seeds/schema_campaigns.csv"
                )
            owner[column] = schema
        con.execute(query("warehouse", "zoobot_galaxies"))
        table = con.sql(query("warehouse", "zoobot_table")).to_arrow_table()
    return table.select([*GALAXY_COLUMNS, *(column for _, column in columns)])


def _schemas_in(con: duckdb.DuckDBPyConnection, mart: Path) -> list[str]:
    rows = con.execute(query("warehouse", "training_label_schemas"), {"mart": str(mart)}).fetchall()
    return [schema for (schema,) in rows]


def write_zoobot(
    schemas: Sequence[str],
    marts_dir: Path,
    out_dir: Path,
    say: Callable[[str], None] = say_on_stderr,
) -> list[tuple[Path, int]]:
    """Write the zoobot table of ``schemas`` as ``<schemas>_zoobot.parquet`` and ``.csv`` in
    ``out_dir`` (each written beside and renamed into place); the files and their rows."""
    from warehouse.catalogues import atomically

    table = zoobot_table(schemas, marts_dir)
    settings = read_settings(marts_dir, say)
    metadata = {f"{METADATA_PREFIX}{key}": "" if value is None else value
                for key, value in settings.items()}  # fmt: skip
    metadata[f"{METADATA_PREFIX}schemas"] = ",".join(schemas)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "+".join(schemas) + "_zoobot"
    parquet_path = out_dir / f"{stem}.parquet"
    atomically(parquet_path, lambda temp: pq.write_table(table, temp, compression="zstd"))
    csv_path = out_dir / f"{stem}.csv"
    atomically(csv_path, lambda temp: pa.csv.write_csv(table, temp))
    return [(parquet_path, table.num_rows), (csv_path, table.num_rows)]
