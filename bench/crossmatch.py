"""Sky crossmatch speed: N subjects against M external catalogue objects, through dbt.

Lands N random galaxies as subjects (a third of them given another galaxy's exact iauname in
the catalogue, a third placed within 1 arcsec of a catalogue object under another name, a third
with no counterpart) and writes a parquet catalogue of M objects, then runs
`dbt run -s stg_panoptes__subjects external_catalogue int_catalogue_crossmatch` and prints dbt's
own timings and whether every expected counterpart was found. Prints a table.

    python bench/crossmatch.py [--subjects 300000] [--catalogue 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from warehouse.dbt import dbt_executable

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=300_000)
    parser.add_argument("--catalogue", type=int, default=1_000_000)
    parser.add_argument("--radius", type=float, default=2.0, help="arcsec")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        database = scratch_dir / "warehouse.duckdb"
        catalogue = scratch_dir / "catalogue.parquet"
        _make_inputs(scratch_dir, database, catalogue, args.subjects, args.catalogue)
        env = {
            **os.environ,
            "WAREHOUSE_DATA_DIR": str(scratch_dir),
            "WAREHOUSE_DB": str(database),
            "DBT_TARGET_PATH": str(scratch_dir / "target"),
            "DBT_LOG_PATH": str(scratch_dir / "logs"),
        }
        dbt = dbt_executable()
        variables = json.dumps(
            {"external_catalogue": str(catalogue), "crossmatch_radius_arcsec": args.radius}
        )
        started = time.perf_counter()
        done = subprocess.run(
            [str(dbt), "run", "-s", "stg_panoptes__subjects", "external_catalogue",
             "int_catalogue_crossmatch", "--vars", variables],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - started
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-2000:])
            return 1
        timings = {
            r["unique_id"].split(".")[-1]: r["execution_time"]
            for r in json.loads((scratch_dir / "target" / "run_results.json").read_text())[
                "results"
            ]
        }
        found, expected, wrong = _score(database)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"crossmatch: {args.subjects:,} subjects x {args.catalogue:,} catalogue objects, "
          f"radius {args.radius} arcsec")  # fmt: skip
    print(f"{'step':<28} {'seconds':>8}")
    print(f"{'load catalogue (parquet)':<28} {timings['external_catalogue']:>8.2f}")
    print(f"{'int_catalogue_crossmatch':<28} {timings['int_catalogue_crossmatch']:>8.2f}")
    print(f"{'dbt run, wall':<28} {wall:>8.2f}")
    print(f"counterparts found {found:,} of {expected:,} expected; wrong {wrong:,}")
    return 0 if found == expected and wrong == 0 else 1


def _make_inputs(
    data_dir: Path, database: Path, catalogue: Path, n_subjects: int, n_catalogue: int
) -> None:
    """Random galaxies over the sky; subject i is paired with catalogue object i. The subjects
    are landed under data_dir/raw/subjects (their position in the metadata, as Panoptes serves
    it); what each should match is kept in the table crossmatch_truth."""
    (data_dir / "raw").mkdir(parents=True)
    with duckdb.connect(str(database)) as con:
        con.execute("set preserve_insertion_order = false")
        con.execute(
            f"""
            copy (
                select
                    i as object_id,
                    'J' || lpad(i::varchar, 12, '0') as iauname,
                    (hash(i) % 360000000) / 1000000.0 as ra,
                    degrees(asin(((hash(i * 7919) % 2000000) / 1000000.0) - 1)) as dec
                from range({n_catalogue}) as t (i)
            ) to '{catalogue}' (format parquet)
            """
        )
        con.execute(
            f"""
            create table crossmatch_truth as
            select
                i + 1000000000 as subject_id,
                case i % 3
                    when 0 then catalogue.iauname
                    else 'S' || i::varchar
                end as iauname,
                case i % 3
                    when 1 then catalogue.ra
                        + 0.5 / 3600 / greatest(cos(radians(catalogue.dec)), 0.01)
                    when 2 then (catalogue.ra + 180) % 360
                    else catalogue.ra
                end % 360 as ra,
                case i % 3 when 2 then -catalogue.dec else catalogue.dec end as dec,
                i % 3 as kind,
                catalogue.object_id as expected_object
            from range({n_subjects}) as t (i)
            inner join '{catalogue}' as catalogue on catalogue.object_id = t.i
            """
        )
        con.execute(
            f"""
            copy (
                select
                    subject_id,
                    1 as project_id,
                    json_object('!iauname', iauname, '!ra', ra, '!dec', dec)::varchar as metadata,
                    '[]' as locations,
                    timestamp '2020-01-01' as created_at,
                    timestamp '2020-01-01' as updated_at,
                    '{{}}' as raw,
                    'api' as source,
                    timestamp '2020-01-02' as ingested_at
                from crossmatch_truth
            ) to '{data_dir / "raw" / "subjects"}' (format parquet, partition_by (project_id))
            """
        )


def _score(database: Path) -> tuple[int, int, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            """
            select
                count(*) filter (where catalogue.object_id = subjects.expected_object),
                count(*) filter (where subjects.kind in (0, 1)),
                count(*) filter (
                    where matches.subject_id is not null
                    and catalogue.object_id <> subjects.expected_object
                    and subjects.kind in (0, 1)
                )
            from crossmatch_truth as subjects
            left join intermediate.int_catalogue_crossmatch as matches using (subject_id)
            left join staging.external_catalogue as catalogue using (catalogue_row_id)
            """
        ).fetchall()[0]


if __name__ == "__main__":
    sys.exit(main())
