"""What analysts and BI tools read: the parquet marts, the CSV/FITS catalogue, dbt docs and source
freshness (the dashboard has its own module, test_dashboard.py).

One landing is built once for the module: half the sample first, so that the test of readers
during a build can watch the second half arrive.
"""

from __future__ import annotations

import csv
import json
import subprocess
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from astropy.table import Table
from conftest import (
    GZ_WAREHOUSE,
    PROJECT_ROOT,
    WORKFLOW_ID,
    clean_environment,
    run_dbt,
    run_ingest,
    standin_server,
)

from standin import sample
from standin.server import StandInData
from warehouse import __version__
from warehouse.dbt import dbt_executable
from warehouse.published import MANIFEST, mart_files

pytestmark = pytest.mark.dbt

SCHEMA = "gz_decals_dr5"
MART_NAMES = sorted(path.stem for path in (PROJECT_ROOT / "models" / "marts").glob("*.sql"))
PUBLISHED = " marts as parquet under "  # dbt's line once the marts are published


@dataclass
class Warehouse:
    data_dir: Path
    database: Path
    data: StandInData

    @property
    def marts(self) -> Path:
        return self.data_dir / "marts"

    def env(self) -> dict[str, str]:
        return clean_environment(self.data_dir) | {"WAREHOUSE_DB": str(self.database)}

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql).fetchall()

    def ingest(self) -> None:
        with standin_server(self.data) as api:
            done = run_ingest(api, self.data_dir, "--workflow-id", str(WORKFLOW_ID))
        assert done.returncode == 0, done.output


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("analysts")
    generated = sample.generate(n_classifications=2_000, n_subjects=120, seed=23)
    warehouse = Warehouse(
        root / "data", root / "warehouse.duckdb", StandInData.from_sample(generated)
    )
    warehouse.data.publish(1_000)
    warehouse.ingest()
    run_dbt(warehouse.data_dir, warehouse.database)
    return warehouse


@dataclass
class ConcurrentReads:
    """What readers of the published marts saw while a build rewrote them."""

    before: dict[str, tuple[int, int]]  # each mart's fingerprint before the build
    seen: dict[str, set[tuple[int, int]]]  # every fingerprint a reader saw during it
    errors: list[str]


@pytest.fixture(scope="module")
def concurrent_reads(warehouse: Warehouse) -> ConcurrentReads:
    """The rest of the sample landed and built while readers hammer the published parquet."""
    before = _fingerprints(warehouse.marts)
    warehouse.data.publish_all()
    warehouse.ingest()
    seen: dict[str, set[tuple[int, int]]] = {name: set() for name in before}
    errors: list[str] = []
    held_name = min(name for name in before if name.startswith("vote_counts/"))
    held = pq.ParquetFile(_published_files(warehouse.marts)[held_name])  # a BI tool holding a file
    build = subprocess.Popen(
        [dbt_executable(), "build", "--exclude", "test_type:unit"],
        cwd=PROJECT_ROOT, env=warehouse.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    lines: list[str] = []

    def drain() -> None:  # as it comes, so that the build never waits on a full pipe
        assert build.stdout is not None
        for line in build.stdout:
            lines.append(line)

    drainer = threading.Thread(target=drain)
    drainer.start()
    # Read until the build says it has published (its on-run-end hook), then once more.
    while True:
        published = build.poll() is not None or any(PUBLISHED in line for line in list(lines))
        for name, path in _published_files(warehouse.marts).items():
            if name not in before:
                continue
            try:
                seen[name].add(_fingerprint(path))
            except duckdb.Error as exc:
                errors.append(f"{name}: {exc}")
        if published:
            break
        time.sleep(0.05)  # only paces the readers
    build.wait(timeout=600)
    drainer.join()
    output = "".join(lines)
    assert build.returncode == 0, output[-4000:]
    assert PUBLISHED in output
    assert held.read().num_rows == before[held_name][0], "the held file changed under it"
    held.close()
    return ConcurrentReads(before, seen, errors)


@pytest.fixture(scope="module")
def rebuilt(warehouse: Warehouse, concurrent_reads: ConcurrentReads) -> Warehouse:
    """The warehouse once the whole sample has landed and been built."""
    return warehouse


def _row_count(path: Path) -> int:
    with duckdb.connect() as con:
        query = "select count(*) from read_parquet($path)"
        return con.execute(query, {"path": str(path)}).fetchone()[0]


def _row_counts(directory: Path) -> dict[str, int]:
    """{mart: rows}, over all the files of a mart published in subject buckets."""
    published = mart_files(directory)
    return {mart: sum(_row_count(path) for path in paths) for mart, paths in published.items()}


def _published_files(directory: Path) -> dict[str, Path]:
    """Every published file: ``<mart>``, or ``<mart>/part-<bucket>`` for each of its parts."""
    return {
        mart if path.parent == directory else f"{mart}/{path.stem}": path
        for mart, paths in mart_files(directory).items()
        for path in paths
    }


def _strays(directory: Path) -> list[str]:
    """What the marts directory holds but the marts' files and manifests."""
    found = []
    for path in directory.iterdir():
        if path.is_dir():
            found += [
                f"{path.name}/{p.name}" for p in path.iterdir()
                if not (p.name.startswith("part-") and p.suffix == ".parquet")
                and p.name != MANIFEST
            ]  # fmt: skip
        elif path.suffix != ".parquet":
            found.append(path.name)
    return found


def _fingerprint(path: Path) -> tuple[int, int]:
    """Rows and a hash of the whole content: equal fingerprints, equal files (for this test).

    The file is opened once and read through that handle, as pandas or pyarrow read it: what
    it names is then one file, the old or the new (a reader that opens the path again halfway,
    as a multi-threaded scan may, can meet the next build's file in between)."""
    with path.open("rb") as handle, duckdb.connect() as con:
        contents = pq.read_table(handle)  # noqa: F841 (read by DuckDB by name)
        query = "select count(*), coalesce(sum(hash(t)), 0) from contents as t"
        return con.execute(query).fetchone()


EMPTY_HERE = (
    "classification_count_mismatches",
    "outstanding_rejections",
    "superluminous_supernovae_vote_fractions",
)


def _fingerprints(directory: Path) -> dict[str, tuple[int, int]]:
    return {name: _fingerprint(path) for name, path in _published_files(directory).items()}


def test_every_mart_is_published_as_parquet_with_the_rows_of_the_warehouse(warehouse):
    counts = _row_counts(warehouse.marts)
    assert sorted(counts) == MART_NAMES
    for name, count in counts.items():
        # nothing is set aside here, the stand-in counts what landed (or its statuses are not
        # landed), and the Superluminous Supernovae workflow has no votes
        assert count > 0 or name in EMPTY_HERE, name
        assert count == warehouse.query(f"select count(*) from {name}")[0][0], name
    assert _strays(warehouse.marts) == []
    assert (warehouse.marts / "vote_counts" / MANIFEST).is_file()


def test_a_published_mart_has_the_warehouse_values_and_types(warehouse):
    with duckdb.connect(str(warehouse.database), read_only=True) as con:
        in_warehouse = con.execute("select * from vote_counts order by all").fetchall()
        types = con.execute("describe vote_counts").fetchall()
        published = con.execute(
            "select * from read_parquet($path) order by all",
            {"path": str(warehouse.marts / "vote_counts" / "*.parquet")},
        ).fetchall()
        published_types = con.execute(
            "describe select * from read_parquet($path)",
            {"path": str(warehouse.marts / "vote_counts" / "*.parquet")},
        ).fetchall()
    assert published == in_warehouse
    assert [t[:2] for t in published_types] == [t[:2] for t in types]


def test_readers_of_the_parquet_marts_see_a_whole_file_and_never_block_the_build(
    rebuilt, concurrent_reads
):
    assert concurrent_reads.errors == []
    after = _fingerprints(rebuilt.marts)
    before = concurrent_reads.before
    changed = {name.split("/")[0] for name in after if after[name] != before.get(name)}
    assert {"vote_counts", "subjects", "classification_activity"} <= changed
    for name, seen in concurrent_reads.seen.items():
        # each read saw the old file or the new one, never a partial or a missing one
        assert seen <= {before[name], after[name]}, name
        assert len(seen) >= 1, name
    for name, rows in _row_counts(rebuilt.marts).items():
        assert rows == rebuilt.query(f"select count(*) from {name}")[0][0], name
    assert _strays(rebuilt.marts) == []


def test_write_catalogue_writes_the_wide_mart_as_csv_and_fits(rebuilt, tmp_path):
    done = subprocess.run(
        [GZ_WAREHOUSE, "catalogue", "publish", SCHEMA, "--out-dir", str(tmp_path)],
        env=rebuilt.env(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{SCHEMA}.csv" in done.stdout and f"{SCHEMA}.fits" in done.stdout
    with duckdb.connect(str(rebuilt.database), read_only=True) as con:
        # bookkeeping columns (_loaded_at, _configuration) are the warehouse's, not the catalogue's
        mart = con.sql(
            f"select * exclude (_loaded_at, _configuration) from {SCHEMA}_vote_fractions "
            "order by subject_id"
        ).to_arrow_table()
        from_csv = con.sql(
            "select * from read_csv($path) order by subject_id",
            params={"path": str(tmp_path / f"{SCHEMA}.csv")},
        ).to_arrow_table()
    assert from_csv.column_names == mart.column_names
    assert from_csv.num_rows == mart.num_rows > 0
    fits = Table.read(tmp_path / f"{SCHEMA}.fits")
    fits.sort("subject_id")
    assert fits.colnames == mart.column_names and len(fits) == mart.num_rows
    assert str(fits["ra"].unit) == "deg"
    for name in mart.column_names:
        expected = mart[name].to_pylist()
        if name.endswith("_fraction") or name in ("ra", "dec"):
            for column in (from_csv[name].to_pylist(), list(np.ma.filled(fits[name], np.nan))):
                assert [v is None for v in expected] == [v is None or v != v for v in column], name
                assert np.allclose(
                    [v for v in column if v is not None and v == v],
                    [v for v in expected if v is not None],
                ), name
        elif name.endswith("_total") or name == "subject_id":
            assert from_csv[name].to_pylist() == expected, name
            assert list(fits[name]) == expected, name
    assert list(fits["iauname"]) == mart["iauname"].to_pylist()

    # the header says how the warehouse was built, and what each column is
    settings = dict(rebuilt.query("select setting, value from warehouse_settings"))
    header = fits_header(tmp_path / f"{SCHEMA}.fits")
    assert header["BUILT"] == settings["built_at"]
    assert header["PROJVER"] == settings["project_version"] == __version__
    assert header["REPEATS"] == settings["repeat_classifications"] == "first"
    assert header["INTLEVEL"] == float(settings["fraction_interval_level"])
    assert (header["CLASSAFT"], header["CLASSBEF"]) == ("", "")
    assert (header["MINVOTES"], header["NEXCLUDE"], header["WEIGHTIT"]) == (0, 0, 3)
    assert header["WEIGHTOL"] == 0.0
    described = {
        header[f"TTYPE{i}"]: header.get(f"TCOMM{i}") for i in range(1, len(fits.colnames) + 1)
    }
    assert all(described.values()), [name for name, text in described.items() if not text]
    units = {header[f"TTYPE{i}"]: header.get(f"TUNIT{i}") for i in range(1, len(fits.colnames) + 1)}
    assert {name: unit for name, unit in units.items() if unit} == {"ra": "deg", "dec": "deg"}


def fits_header(path: Path) -> Any:
    from astropy.io import fits

    with fits.open(path) as hdul:
        hdul.verify("exception")
        return hdul[1].header


def test_write_zoobot_labels_are_the_counted_votes_summed_per_galaxy(rebuilt, tmp_path):
    done = subprocess.run(
        [GZ_WAREHOUSE, "catalogue", "write", SCHEMA, "--format", "zoobot",
         "--out-dir", str(tmp_path)],
        env=rebuilt.env(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = pq.read_table(tmp_path / f"{SCHEMA}_zoobot.parquet")
    from_csv = pa.csv.read_csv(tmp_path / f"{SCHEMA}_zoobot.csv")

    # the columns, question by question as the seed walks the tree, with the campaign suffix
    questions: dict[str, list[str]] = {}
    with (PROJECT_ROOT / "seeds" / "question_answer_schema.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["schema_name"] == SCHEMA:
                questions.setdefault(row["question"], []).append(row["answer"])
    labels = [
        column
        for question, answers in questions.items()
        for column in (*(f"{question}-dr5_{a}" for a in answers), f"{question}-dr5_total-votes")
    ]
    assert table.column_names == ["id_str", "iauname", "ra", "dec", "file_loc", *labels]
    assert from_csv.column_names == table.column_names
    assert all(pa.types.is_int64(table.schema.field(name).type) for name in labels)

    # every value: the warehouse's counted votes, summed over the subjects of one galaxy
    galaxy, expected = {}, defaultdict(lambda: defaultdict(int))
    for sid, iauname, ra, dec, url in rebuilt.query(
        "select subject_id, iauname, ra, dec, image_url from subjects order by subject_id"
    ):
        galaxy[sid] = iauname or str(sid)
        expected[galaxy[sid]].setdefault("_galaxy", (iauname, ra, dec, url))
    totals = {}
    for sid, question, answer, votes, total in rebuilt.query(
        "select subject_id, question, answer, votes, total_votes from vote_counts "
        f"where schema_name = '{SCHEMA}'"
    ):
        key = galaxy[sid]
        expected[key][f"{question}-dr5_{answer}"] += votes
        totals[(key, sid, question)] = total
    for (key, _, question), total in totals.items():
        expected[key][f"{question}-dr5_total-votes"] += total
    rows = table.to_pylist()
    assert [row["id_str"] for row in rows] == sorted(k for k, v in expected.items() if len(v) > 1)
    for row in rows:
        values = expected[row["id_str"]]
        assert (row["iauname"], row["ra"], row["dec"], row["file_loc"]) == values["_galaxy"]
        assert {name: row[name] for name in labels} == {name: values[name] for name in labels}
    for name in labels:
        assert from_csv[name].to_pylist() == table[name].to_pylist(), name


def test_write_catalogue_without_a_build_says_what_to_do(tmp_path):
    done = subprocess.run(
        [GZ_WAREHOUSE, "catalogue", "publish", SCHEMA, "--out-dir", str(tmp_path)],
        env=clean_environment(tmp_path / "data"), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "run dbt build" in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.fits"))


def _dbt(warehouse: Warehouse, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [dbt_executable(), *args], cwd=PROJECT_ROOT,
        env=env or warehouse.env(), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_dbt_docs_describe_every_model_and_column_and_the_exposures(rebuilt):
    done = _dbt(rebuilt, "docs", "generate")
    assert done.returncode == 0, done.stdout[-4000:]
    target = Path(rebuilt.env()["DBT_TARGET_PATH"])
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    undescribed = []
    for unique_id, node in catalog["nodes"].items():
        if not unique_id.startswith("model."):
            continue
        documented = manifest["nodes"][unique_id]
        if not documented["description"].strip():
            undescribed.append(unique_id)
        columns = {name.lower(): c for name, c in documented["columns"].items()}
        for name in node["columns"]:
            if not columns.get(name.lower(), {}).get("description", "").strip():
                undescribed.append(f"{unique_id}.{name}")
    assert undescribed == []
    models = [n for n in manifest["nodes"] if n.startswith("model.")]
    assert {n for n in catalog["nodes"] if n.startswith("model.")} == set(models)
    for source in manifest["sources"].values():
        assert source["description"].strip(), source["unique_id"]
        assert all(c["description"].strip() for c in source["columns"].values())
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    dashboard = exposures["warehouse_dashboard"]
    assert dashboard["type"] == "dashboard" and dashboard["owner"]
    depends = {n.split(".")[-1] for n in dashboard["depends_on"]["nodes"]}
    assert {
        "workflows", "classification_activity", "volunteer_activity", "volunteers", "subjects",
        "subject_activity", "vote_counts", "schema_questions", "vote_accounting",
        "retirement_replay_summary",
    } <= depends  # fmt: skip


@pytest.mark.slow  # two more builds of the landing: `make test-slow`
def test_source_freshness_passes_when_fresh_and_fails_when_stale(rebuilt, tmp_path):
    fresh = _dbt(rebuilt, "source", "freshness")
    assert fresh.returncode == 0, fresh.stdout[-4000:]
    assert "PASS freshness of panoptes.classifications" in fresh.stdout

    stale = tmp_path / "stale"
    with duckdb.connect() as con:
        for dataset in ("classifications", "subjects", "workflow_versions"):
            pattern = f"{rebuilt.data_dir}/raw/{dataset}/**/*.parquet"
            shift = "3 days" if dataset == "classifications" else "0 days"
            partitions = con.execute(
                "select distinct unnest(regexp_extract_all(file, '([a-z_]+)=', 1)) "
                "from glob($pattern)", {"pattern": pattern},
            ).fetchall()  # fmt: skip
            keys = ", ".join(p[0] for p in partitions)
            target = stale / "raw" / dataset
            target.parent.mkdir(parents=True, exist_ok=True)
            if not keys:
                target.mkdir()
                target = target / "landed.parquet"
            con.execute(
                f"copy (select * replace (ingested_at - interval '{shift}' as ingested_at) "
                f"from read_parquet('{pattern}', hive_partitioning = true)) "
                f"to '{target}' (format parquet" + (f", partition_by ({keys}))" if keys else ")")
            )
    env = clean_environment(stale) | {"WAREHOUSE_DB": str(tmp_path / "stale.duckdb")}
    outcome = _dbt(rebuilt, "source", "freshness", env=env)
    assert outcome.returncode != 0
    assert "ERROR STALE freshness of panoptes.classifications" in outcome.stdout
    assert "PASS freshness of panoptes.subjects" in outcome.stdout
