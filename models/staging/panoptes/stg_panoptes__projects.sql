-- One row per project: the latest landed snapshot of its name and slug. No rows when none was
-- landed (an export-only landing, or a project Panoptes would not show).
with landed as (
    select
        *,
        {{ landed_file_name() }} as landed_file
    from {{ source('panoptes', 'projects') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by project_id
            order by ingested_at desc, landed_file desc
        ) as snapshot_rank
    from landed
),

latest as (
    select * from ranked
    where snapshot_rank = 1
),

final as (
    select
        project_id,
        display_name as project_name,
        slug as project_slug,
        source,
        ingested_at,
        landed_file
    from latest
)

select * from final
