-- One row per workflow: the landed snapshot of its latest version (the latest landed of that
-- version), with its retirement rule read out of the JSON. A workflows export lands a snapshot
-- per version, so the version orders them before the time they landed. No rows when none was
-- landed.
with landed as (
    select
        *,
        {{ workflow_version_part('workflow_version', 1) }} as workflow_major,
        {{ workflow_version_part('workflow_version', 2) }} as workflow_minor,
        {{ landed_file_name() }} as landed_file
    from {{ source('panoptes', 'workflows') }}
),

ranked as (
    select
        *,
        max(project_id) over (partition by workflow_id) as any_project_id,
        row_number() over (
            partition by workflow_id
            order by
                workflow_major desc nulls last,
                workflow_minor desc nulls last,
                ingested_at desc,
                landed_file desc
        ) as snapshot_rank
    from landed
),

latest as (
    select * from ranked
    where snapshot_rank = 1
),

final as (
    select
        workflow_id,
        -- an export row may not know the project a snapshot from the API named
        coalesce(project_id, any_project_id) as project_id,
        display_name as workflow_name,
        workflow_version,
        workflow_major,
        workflow_minor,
        active,
        {{ json_text_at('retirement', '$.criteria') }} as retirement_criteria,
        try_cast({{ json_text_at('retirement', '$.options.count') }} as integer)
            as retirement_option_count,
        retirement,
        source,
        ingested_at,
        landed_file
    from latest
)

select * from final
