-- One row per row set aside in the landing (the landing's columns are typed already). A row
-- set aside by several runs appears once per run; outstanding_rejections keeps the latest.
with landed as (
    select
        *,
        {{ landed_file_name() }} as landed_file
    from {{ source('panoptes', 'rejected') }}
),

final as (
    select
        entity,
        entity_id,
        project_id,
        workflow_id,
        reason,
        raw,
        source,
        ingested_at,
        landed_file
    from landed
)

select * from final
