-- One row per subject and workflow: the latest landed snapshot of Panoptes' status (its count
-- of the subject's classifications and its retirement), and how many snapshots of it have
-- landed. No rows when none were landed (an export-only landing, or credentials that may not
-- read statuses).
with landed as (
    select * from {{ source('panoptes', 'subject_workflow_statuses') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by subject_id, workflow_id
            order by ingested_at desc, updated_at desc nulls last
        ) as snapshot_rank,
        count(*) over (partition by subject_id, workflow_id) as snapshots_landed
    from landed
),

latest as (
    select * from ranked
    where snapshot_rank = 1
),

final as (
    select
        subject_id,
        workflow_id,
        project_id,
        classifications_count,
        retired_at,
        retirement_reason,
        created_at,
        updated_at,
        source,
        ingested_at,
        snapshots_landed
    from latest
)

select * from final
