-- One row per subject: its latest landing, with the catalogue fields pulled out of the
-- metadata whatever the key spelling (`!iauname`, `#iauname`, `iauname`, `!ra`, `RA` ...), and
-- the name of the file it was landed in (landed_file).
with landed as (
    select
        *,
        {{ landed_file_name() }} as landed_file
    from {{ source('panoptes', 'subjects') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by subject_id
            order by ingested_at desc, updated_at desc nulls last, landed_file desc
        ) as landing_rank
    from landed
),

latest as (
    select * from ranked
    where landing_rank = 1
),

final as (
    select
        subject_id,
        project_id,
        {{ metadata_field('metadata', 'iauname') }} as iauname,
        try_cast({{ metadata_field('metadata', 'ra') }} as double) as ra,
        try_cast({{ metadata_field('metadata', 'dec') }} as double) as dec,
        {{ first_location_url('locations') }} as image_url,
        {{ as_json('metadata') }} as metadata,
        {{ as_json('locations') }} as locations,
        created_at,
        updated_at,
        source,
        ingested_at,
        landed_file
    from latest
)

select * from final
