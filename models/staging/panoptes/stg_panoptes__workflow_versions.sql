-- One row per workflow version (major.minor), its tasks and strings as JSON, and the name of
-- the file it was landed in (landed_file).
with landed as (
    select
        *,
        {{ landed_file_name() }} as landed_file
    from {{ source('panoptes', 'workflow_versions') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by workflow_id, major_number, minor_number
            order by ingested_at desc, workflow_version_id desc, landed_file desc
        ) as landing_rank
    from landed
),

latest as (
    select * from ranked
    where landing_rank = 1
),

final as (
    select
        workflow_version_id,
        workflow_id,
        cast(major_number as integer) as workflow_major,
        cast(minor_number as integer) as workflow_minor,
        workflow_version,
        first_task,
        {{ as_json('tasks') }} as tasks,
        {{ as_json('strings') }} as strings,
        created_at,
        source,
        ingested_at,
        landed_file
    from latest
)

select * from final
