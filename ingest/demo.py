"""``ingest demo``: the whole pipeline on the bundled sample, offline, through real HTTP."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from ingest import sample
from ingest.standin import PanoptesStandIn, StandInData

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MARKER = ".demo-data"
FIRST_PASS_SHARE = 0.9


def run_demo(data_dir: Path, n_classifications: int, n_subjects: int) -> int:
    _fresh_directory(data_dir)
    print(
        f"generating the sample: {n_classifications:,} classifications over {n_subjects:,} subjects"
    )
    generated = sample.generate(n_classifications, n_subjects)
    data = StandInData.from_sample(generated)
    client_id, secret = "demo", secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "WAREHOUSE_DATA_DIR": str(data_dir),
        "PANOPTES_CLIENT_ID": client_id,
        "PANOPTES_CLIENT_SECRET": secret,
    }
    env.pop("PANOPTES_TOKEN", None)
    env.pop("WAREHOUSE_DB", None)
    with PanoptesStandIn(data, clients={client_id: secret}) as api:
        print(f"Panoptes stand-in at {api.url}")
        ingest = [
            sys.executable,
            "-m",
            "ingest",
            "api",
            "--project-id",
            str(generated.project_id),
            "--api-url",
            api.url,
        ]
        first = int(len(data.classification_ids) * FIRST_PASS_SHARE)
        data.publish(first)
        print(f"\n== ingest, pass 1: the API holds {first:,} classifications")
        _run(ingest, env)
        data.publish_all()
        print(
            f"\n== ingest, pass 2: {len(data.classification_ids) - first:,} more arrived; "
            "only they are fetched"
        )
        _run(ingest, env)
    print("\n== dbt build")
    _run([_dbt_executable(), "build"], env, cwd=PROJECT_ROOT)
    print("\n== what landed")
    _print_summary(data_dir)
    return 0


def _fresh_directory(data_dir: Path) -> None:
    """Recreate the demo's own directory; refuse to delete anything the demo did not create."""
    if data_dir.exists():
        if not (data_dir / MARKER).exists() and any(data_dir.iterdir()):
            raise OSError(
                f"{data_dir} exists and was not made by the demo; choose another --data-dir"
            )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    (data_dir / MARKER).write_text("created by `python -m ingest demo`; deleted on its next run\n")


def _run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
    completed = subprocess.run(command, env=env, cwd=cwd, check=False)
    if completed.returncode != 0:
        raise OSError(f"{' '.join(command[:4])} ... exited with {completed.returncode}")


def _dbt_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else "dbt"


def _print_summary(data_dir: Path) -> None:
    raw = data_dir / "raw"
    database = data_dir / "warehouse.duckdb"
    with duckdb.connect() as con:
        landed, distinct, subjects, versions = con.execute(
            f"""
            select
                (select count(*) from read_parquet('{raw}/classifications/**/*.parquet')),
                (select count(distinct classification_id)
                   from read_parquet('{raw}/classifications/**/*.parquet')),
                (select count(*) from read_parquet('{raw}/subjects/**/*.parquet')),
                (select count(*) from read_parquet('{raw}/workflow_versions/**/*.parquet'))
            """
        ).fetchall()[0]
    print(
        f"classifications landed {landed:,} ({distinct:,} distinct), subjects {subjects:,}, "
        f"workflow versions {versions:,}"
    )
    with duckdb.connect(str(database), read_only=True) as con:
        votes, unmapped = con.execute(
            "select count(*), count(*) filter (where question is null) from flat "
            "where schema_name is not null"
        ).fetchall()[0]
        catalogue = con.sql(
            """
            select
                iauname,
                round(ra, 4) as ra,
                round(dec, 4) as dec,
                "smooth-or-featured_total-votes" as "total",
                round("smooth-or-featured_smooth_fraction", 3) as "smooth",
                round("smooth-or-featured_featured-or-disk_fraction", 3) as "featured",
                round("smooth-or-featured_artifact_fraction", 3) as "artifact",
                round("bar_strong_fraction", 3) as "bar strong"
            from gz_decals_dr5_vote_fractions
            order by "smooth-or-featured_total-votes" desc, iauname
            limit 5
            """
        )
        columns, rows = catalogue.columns, catalogue.fetchall()
    print(
        f"votes {votes:,}, of which {unmapped:,} from older workflow versions whose questions "
        "differ (kept in flat, not counted)\n"
    )
    print("gz_decals_dr5_vote_fractions (smooth-or-featured and bar, a few galaxies):")
    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) for i, c in enumerate(columns)]
    for line in [columns, *rows]:
        print("  " + "  ".join(str(v).rjust(w) for v, w in zip(line, widths, strict=True)))
    print(
        f"\nquery it: duckdb -readonly {database} "
        '"select * from gz_decals_dr5_vote_fractions limit 5"\n'
        f"       or: python -c \"import duckdb; print(duckdb.connect('{database}', "
        "read_only=True).sql('select * from vote_counts limit 5'))\""
    )
    print(
        f"parquet marts (for BI tools and pandas): {data_dir / 'marts'}/*.parquet\n"
        f"dashboard: WAREHOUSE_DATA_DIR={data_dir} python -m ingest dashboard"
    )
