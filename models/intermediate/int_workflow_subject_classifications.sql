-- Landed classifications per workflow and subject (each landed classification once, from the
-- staging view's first landing), for the counts and rule retirements of `workflows`. Rebuilt by
-- a build after classifications landed and left as it is otherwise (meta
-- skip_unchanged_inputs), so a build that lands workflow records alone does not read the
-- classification landing again.
{{
    config(
        materialized='table',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

with classifications as (
    select
        project_id,
        workflow_id,
        subject_id
    from {{ ref('stg_panoptes__classifications') }}
),

final as (
    select
        workflow_id,
        subject_id,
        max(project_id) as project_id,
        cast(count(*) as bigint) as classifications,
        {{ run_started_timestamp() }} as _loaded_at
    from classifications
    group by workflow_id, subject_id
)

select * from final
