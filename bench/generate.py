"""Deterministic Galaxy Zoo data at any scale: Lab export CSVs, and new classifications for the
stand-in.

Rows are drawn from a pool of classifications made by ``standin.sample`` (the real decision tree
of workflow 6122, DR5, at its real versions, with their labels, metadata and row sizes) and given
new ids, subjects, volunteers and times in DuckDB, so a million rows take seconds and sixteen
million a few minutes, in bounded memory. Subjects get about 25 classifications each.

    python bench/generate.py --classifications 1000000 --out bench-data/1m
"""

from __future__ import annotations

import argparse
import copy
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from standin import lab_exports, sample

POOL_CLASSIFICATIONS = 20_000
CLASSIFICATIONS_PER_SUBJECT = 25
CLASSIFICATIONS_PER_VOLUNTEER = 40
SECONDS = int((sample.END - sample.START).total_seconds())


@dataclass
class Export:
    classifications: Path
    workflows: Path
    subjects: Path
    rows: int
    subjects_count: int


def subjects_for(n_classifications: int) -> int:
    return max(1, n_classifications // CLASSIFICATIONS_PER_SUBJECT)


def write_export(n_classifications: int, directory: Path, seed: int = 6122) -> Export:
    """Classification, workflow and subject exports of ``n_classifications`` rows."""
    directory.mkdir(parents=True, exist_ok=True)
    n_subjects = subjects_for(n_classifications)
    with tempfile.TemporaryDirectory() as scratch:
        pool = sample.generate(
            n_classifications=POOL_CLASSIFICATIONS,
            n_subjects=POOL_CLASSIFICATIONS // CLASSIFICATIONS_PER_SUBJECT,
            seed=seed,
        )
        pool_paths = lab_exports.write_exports(pool, Path(scratch), prefix="pool")
        paths = Export(
            directory / "classifications.csv",
            directory / "workflows.csv",
            directory / "subjects.csv",
            n_classifications,
            n_subjects,
        )
        paths.workflows.write_bytes(pool_paths["workflows"].read_bytes())
        with duckdb.connect(config={"threads": 2, "memory_limit": "4GB"}) as con:
            con.execute("set preserve_insertion_order = false")
            con.execute(
                "create table pool as select row_number() over () - 1 as template, * "
                "from read_csv($path, all_varchar = true)",
                {"path": str(pool_paths["classifications"])},
            )
            con.execute(_subjects_sql(), {"n": n_subjects, "seed": seed})
            csv_options = "(header, quote '\"', escape '\"')"
            con.execute(
                f"copy ({_classifications_sql()}) to '{paths.classifications}' {csv_options}",
                {
                    "n": n_classifications,
                    "pool": POOL_CLASSIFICATIONS,
                    "subjects": n_subjects,
                    "volunteers": max(400, n_classifications // CLASSIFICATIONS_PER_VOLUNTEER),
                    "first_id": sample.FIRST_CLASSIFICATION_ID,
                    "start": sample.START.replace(tzinfo=None),
                    "seconds": SECONDS,
                    "seed": seed,
                },
            )
            con.execute(f"copy ({_subject_export_sql()}) to '{paths.subjects}' {csv_options}")
    (directory / "complete").write_text(str(n_classifications))
    return paths


def existing_export(n_classifications: int, directory: Path) -> Export | None:
    """The export written earlier into ``directory`` for this size, if it is complete."""
    export = Export(
        directory / "classifications.csv",
        directory / "workflows.csv",
        directory / "subjects.csv",
        n_classifications,
        subjects_for(n_classifications),
    )
    done = directory / "complete"
    if done.is_file() and done.read_text() == str(n_classifications):
        return export
    return None


def new_classifications(
    export: Export,
    count: int,
    seed: int = 7,
    active_subjects: int | None = None,
    earlier_new: int = 0,
) -> sample.Sample:
    """``count`` classifications as the API serves them, with ids after the export's (and after
    ``earlier_new`` made before these) and subjects among its subjects: what an hourly run
    finds new.

    By default each goes to a different subject, drawn at random from all of them: the most
    subjects ``count`` classifications can touch. With ``active_subjects``, they go round the
    latest-uploaded ``active_subjects`` subjects instead, as on a live project, where volunteers
    are shown the subjects not yet retired, mostly the newest subject sets."""
    made = sample.generate(
        n_classifications=count, n_subjects=max(1, count // CLASSIFICATIONS_PER_SUBJECT), seed=seed
    )
    params = {"path": str(export.subjects), "count": active_subjects or count}
    order = "subject_id::bigint desc"
    if not active_subjects:
        order, params["seed"] = "hash(subject_id, $seed)", seed
    with duckdb.connect() as con:
        subject_ids = [
            row[0]
            for row in con.execute(
                "select subject_id from read_csv($path, all_varchar = true) "
                f"order by {order} limit $count",
                params,
            ).fetchall()
        ]
    first = sample.FIRST_CLASSIFICATION_ID + export.rows + earlier_new
    classifications = []
    for i, resource in enumerate(made.classifications):
        resource = copy.deepcopy(resource)
        resource["id"] = str(first + i)
        resource["links"]["subjects"] = [subject_ids[i % len(subject_ids)]]
        classifications.append(resource)
    made.classifications = classifications
    made.subjects = []  # all landed with the export: an hourly run asks for none
    return made


def _subjects_sql() -> str:
    """Subjects with sky positions spread over the sphere and IAU names made from them."""
    return """
create table subjects as
with drawn as (
    select
        k,
        15069047 + k * 7 + hash(k, $seed, 'id') % 7 as subject_id,
        (hash(k, $seed, 'ra') % 360000000) / 1e6 as ra,
        degrees(asin(2 * (hash(k, $seed, 'dec') % 1000000000) / 1e9 - 1)) as dec
    from range($n::bigint) as t(k)
),
sexagesimal as (
    select
        *,
        ra / 15 as hours,
        abs(dec) as degrees_abs
    from drawn
)
select
    k,
    subject_id,
    ra,
    dec,
    printf(
        'J%02d%02d%05.2f%s%02d%02d%04.1f',
        floor(hours)::int,
        floor(hours * 60 % 60)::int,
        floor(hours * 3600 % 60 * 100) / 100,
        case when dec < 0 then '-' else '+' end,
        floor(degrees_abs)::int,
        floor(degrees_abs * 60 % 60)::int,
        floor(degrees_abs * 3600 % 60 * 10) / 10
    ) as iauname
from sexagesimal
"""


def _classifications_sql() -> str:
    return """
with rows as (
    select
        i,
        hash(i, $seed, 'template') % $pool as template,
        hash(i, $seed, 'subject') % $subjects as k,
        hash(i, $seed, 'volunteer') % $volunteers as volunteer
    from range($n::bigint) as t(i)
)
select
    $first_id + rows.i as classification_id,
    case when pool.user_id is null then pool.user_name
        else 'volunteer-' || (1000000 + rows.volunteer) end as user_name,
    case when pool.user_id is null then null
        else (1000000 + rows.volunteer)::varchar end as user_id,
    pool.user_ip,
    pool.workflow_id,
    pool.workflow_name,
    pool.workflow_version,
    strftime(
        $start + to_seconds((rows.i * $seconds // $n)::bigint), '%Y-%m-%d %H:%M:%S UTC'
    ) as created_at,
    pool.gold_standard,
    pool.expert,
    pool.metadata,
    pool.annotations,
    json_object(subjects.subject_id::varchar, json_object(
        'retired', null, '!ra', subjects.ra, '!dec', subjects.dec,
        '!iauname', subjects.iauname, '!nsa_id', subjects.k, '#upload_date', '2018-12-07'
    ))::varchar as subject_data,
    subjects.subject_id::varchar as subject_ids
from rows
join pool using (template)
join subjects using (k)
"""


def _subject_export_sql() -> str:
    return """
select
    subject_id,
    5733 as project_id,
    6122 as workflow_id,
    67383 as subject_set_id,
    json_object(
        '!ra', ra, '!dec', dec, '!iauname', iauname, '!nsa_id', k, '#upload_date', '2018-12-07'
    )::varchar as metadata,
    json_object(
        '0', 'https://panoptes-uploads.zooniverse.org/production/subject_location/'
        || md5(subject_id::varchar) || '.png'
    )::varchar as locations,
    0 as classifications_count,
    null as retired_at,
    null as retirement_reason,
    '2018-12-07 13:03:28 UTC' as created_at,
    '2018-12-07 13:03:28 UTC' as updated_at
from subjects
order by subject_id
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classifications", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("bench-data"))
    parser.add_argument("--seed", type=int, default=6122)
    args = parser.parse_args()
    export = write_export(args.classifications, args.out, args.seed)
    size = export.classifications.stat().st_size
    print(
        f"{export.rows:,} classifications of {export.subjects_count:,} subjects: "
        f"{export.classifications} ({size / 1e9:.2f} GB, {size / export.rows:,.0f} bytes/row)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
