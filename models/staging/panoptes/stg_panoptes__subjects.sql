-- One row per subject: its latest landing, with the catalogue fields pulled out of the
-- metadata whatever the key spelling (`!iauname`, `#iauname`, `iauname`, `!ra`, `RA` ...).
with landed as (
    select * from {{ source('panoptes', 'subjects') }}
),

latest as (
    select *
    from landed
    qualify row_number() over (
        partition by subject_id
        order by ingested_at desc, updated_at desc nulls last
    ) = 1
),

final as (
    select
        subject_id,
        project_id,
        {{ metadata_field('metadata', 'iauname') }} as iauname,
        try_cast({{ metadata_field('metadata', 'ra') }} as double) as ra,
        try_cast({{ metadata_field('metadata', 'dec') }} as double) as dec,
        {{ first_location_url('locations') }} as image_url,
        metadata::json as metadata,
        locations::json as locations,
        created_at,
        updated_at,
        source,
        ingested_at
    from latest
)

select * from final
