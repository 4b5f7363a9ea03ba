"""A file landed late, its rows stamped earlier than the last build, is built all the same.

A landing copied in from another machine (whose ingest ran before this warehouse's last
build), or an ingest whose clock was stepped back, lands rows whose `ingested_at` is not newer
than what the warehouse has processed. The incremental models take every landed file they have
not taken yet, whatever its rows' timestamps: after the late files, the incremental build
equals a `--full-refresh` build of the same landing, mart for mart.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from built_warehouse import Warehouse, build
from conftest import WORKFLOW_ID, run_ingest, standin_server

from standin import sample
from standin.server import StandInData

# several dbt builds in a row: `make test-slow` (run by .ci/run after the default tests)
pytestmark = [pytest.mark.dbt, pytest.mark.slow]

FIRST_BATCH = 1_000
# classifications of the first batch also in the late file: landed earlier there, so staging
# now keeps that landing of them (the first landed wins)
RELANDED = 5
LATE_IAUNAME = "J000000.00+000000.0-landed-late"


def landed_files(data_dir: Path, dataset: str) -> list[Path]:
    return sorted((data_dir / "raw" / dataset).rglob("*.parquet"))


def read_landed(data_dir: Path, dataset: str) -> list[tuple[Path, pa.Table]]:
    """Each landed file of a dataset with its rows (its partition columns are in the file)."""
    return [(path, pq.read_table(path)) for path in landed_files(data_dir, dataset)]


def land_late_classifications(other: Path, data_dir: Path, first_ids: list[int]) -> Path:
    """The other landing's classifications this one has not landed, and its earlier landing of
    a few it has, written as one file beside this landing's own; their ingested_at is the
    other run's, before this warehouse's first build."""
    [(path, table)] = read_landed(other, "classifications")
    ids = table.column("classification_id")
    keep = pc.or_(pc.greater(ids, max(first_ids)), pc.is_in(ids, pa.array(first_ids[:RELANDED])))
    late = table.filter(keep)
    target = data_dir / "raw" / "classifications" / path.parent.parent.name / path.parent.name
    pq.write_table(late, target / path.name)
    return target / path.name


def land_late_subject_record(data_dir: Path, subject_id: int) -> Path:
    """A newer record of one subject (another iauname), stamped no later than the records
    already built: the newest ingested_at landed, updated after the record it replaces."""
    files = read_landed(data_dir, "subjects")
    newest = max(pc.max(table.column("ingested_at")).as_py() for _, table in files)
    [(path, table)] = [
        (path, table.filter(pc.equal(table.column("subject_id"), subject_id)))
        for path, table in files
        if subject_id in table.column("subject_id").to_pylist()
    ]
    record = table.to_pylist()[0]
    metadata = json.loads(record["metadata"])
    metadata["!iauname"] = LATE_IAUNAME
    record |= {
        "metadata": json.dumps(metadata),
        "updated_at": record["updated_at"] + timedelta(days=1),
        "ingested_at": newest,
    }
    late = pa.Table.from_pylist([record], schema=table.schema)
    name = path.name.replace("part-", "part-19990101T000000000000Z-late-", 1)
    pq.write_table(late, path.parent / name)
    return path.parent / name


@dataclass
class LandedLate:
    warehouse: Warehouse
    late_classifications: Path
    late_subject: int

    def database(self, name: str) -> Path:
        return self.warehouse.data_dir.parent / f"{name}.duckdb"


@pytest.fixture(scope="module")
def landed_late(tmp_path_factory) -> LandedLate:
    root = tmp_path_factory.mktemp("landed_late")
    generated = sample.generate(n_classifications=1_200, n_subjects=100, seed=11)
    warehouse = Warehouse(root / "data", generated)
    other = root / "other-machine"
    data = StandInData.from_sample(generated)
    with standin_server(data) as api:
        # the other machine lands everything first; this one only the first batch, later
        assert run_ingest(api, other, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        data.publish(FIRST_BATCH)
        assert (
            run_ingest(api, warehouse.data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        )
    build(warehouse, "first", root / "incremental.duckdb")

    # a subject no late classification names, so that only its new record changes its row
    named_late = {
        int(c["links"]["subjects"][0])
        for c in generated.classifications[FIRST_BATCH:] + generated.classifications[:RELANDED]
    }
    untouched = sorted({int(s["id"]) for s in generated.subjects} - named_late)
    assert untouched, "the sample leaves no subject without late classifications"
    land_late_subject_record(warehouse.data_dir, untouched[0])
    first_ids = [int(c["id"]) for c in generated.classifications[:FIRST_BATCH]]
    late_classifications = land_late_classifications(other, warehouse.data_dir, first_ids)
    for path in landed_files(other, "subjects"):  # copied in as they are
        shutil.copy(path, warehouse.data_dir / path.relative_to(other))

    build(warehouse, "late", root / "incremental.duckdb")
    shutil.copy(root / "incremental.duckdb", root / "refreshed.duckdb")
    build(warehouse, "full-refresh", root / "refreshed.duckdb", "--full-refresh")
    return LandedLate(warehouse, late_classifications, untouched[0])


def built_tables(database: Path) -> list[str]:
    """Every table the build made, marts and intermediate models (not the signatures of the
    inputs each model was last built from, `int_inputs__<model>`: they name when that was)."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where not internal and schema_name in ('main', 'intermediate') "
            "and not starts_with(table_name, 'int_inputs__') order by 1"
        ).fetchall()
    return [name for (name,) in rows]


def rows_of(database: Path, table: str) -> list[tuple]:
    """A table's rows but the times they were built (`_loaded_at`, `_weight_loaded_at`, the
    build time in warehouse_settings), floats to 12 significant digits (sums aggregated in
    parallel may differ in their last bit), in a fixed order."""
    with duckdb.connect(str(database), read_only=True) as con:
        columns = [
            c for (c,) in con.execute(f"select column_name from (describe {table})").fetchall()
        ]
        kept = ", ".join(f'"{c}"' for c in columns if not c.endswith("_loaded_at"))
        where = " where setting != 'built_at'" if table.endswith(".warehouse_settings") else ""
        rows = con.execute(f"select {kept} from {table}{where}").fetchall()
    rounded = [
        tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in row) for row in rows
    ]
    return sorted(rounded, key=repr)


def test_every_mart_equals_a_full_refresh_after_files_landed_late(landed_late):
    tables = built_tables(landed_late.database("incremental"))
    assert {"main.vote_counts", "main.subjects", "intermediate.derived"} <= set(tables)
    assert tables == built_tables(landed_late.database("refreshed"))
    for table in tables:
        incremental = rows_of(landed_late.database("incremental"), table)
        refreshed = rows_of(landed_late.database("refreshed"), table)
        assert incremental == refreshed, table


def test_every_late_classification_is_derived_from_its_first_landing(landed_late):
    classifications = landed_late.warehouse.sample.classifications
    relanded = [int(c["id"]) for c in classifications[:RELANDED]]
    with duckdb.connect(str(landed_late.database("incremental")), read_only=True) as con:
        derived = con.execute(
            "select distinct classification_id from intermediate.derived"
        ).fetchall()
        assert {i for (i,) in derived} == {
            int(c["id"]) for c in classifications if c["annotations"]
        }
        relanded_from = con.execute(
            "select distinct landed_file from intermediate.derived "
            "where list_contains(?, classification_id)",
            [relanded],
        ).fetchall()
    assert relanded_from == [(landed_late.late_classifications.name,)]


def test_a_subject_record_landed_late_reaches_the_subjects_mart(landed_late):
    with duckdb.connect(str(landed_late.database("incremental")), read_only=True) as con:
        [(iauname,)] = con.execute(
            "select iauname from subjects where subject_id = ?", [landed_late.late_subject]
        ).fetchall()
        assert iauname == LATE_IAUNAME
        [(landed_file,)] = con.execute(
            "select subject_landed_file from subjects where subject_id = ?",
            [landed_late.late_subject],
        ).fetchall()
    assert "-late-" in landed_file and "/" not in landed_file
