-- One row per workflow version (major.minor), its tasks and strings as JSON.
with landed as (
    select * from {{ source('panoptes', 'workflow_versions') }}
),

latest as (
    select *
    from landed
    qualify row_number() over (
        partition by workflow_id, major_number, minor_number
        order by ingested_at desc, workflow_version_id desc
    ) = 1
),

final as (
    select
        workflow_version_id,
        workflow_id,
        major_number::integer as workflow_major,
        minor_number::integer as workflow_minor,
        workflow_version,
        first_task,
        tasks::json as tasks,
        strings::json as strings,
        created_at,
        source,
        ingested_at
    from latest
)

select * from final
