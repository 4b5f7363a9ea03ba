-- The fetched statuses (fetched) whose count, retirement time or reason differ from the latest
-- landed snapshot of their subject and workflow (latest_statuses), or that have none: the
-- snapshots to land, in the landing's column order. A status served twice (offset paging while
-- Panoptes adds statuses) is kept once, its most recently updated version.
select
    fetched.subject_id,
    fetched.workflow_id,
    fetched.project_id,
    fetched.classifications_count,
    fetched.retired_at,
    fetched.retirement_reason,
    fetched.created_at,
    fetched.updated_at,
    fetched.raw,
    fetched.source,
    fetched.ingested_at
from fetched
where
    not exists (
        select 1
        from latest_statuses as landed
        where
            landed.subject_id = fetched.subject_id
            and landed.workflow_id = fetched.workflow_id
            and landed.classifications_count = fetched.classifications_count
            and landed.retired_at is not distinct from fetched.retired_at
            and landed.retirement_reason is not distinct from fetched.retirement_reason
    )
qualify row_number() over (
    partition by fetched.subject_id, fetched.workflow_id
    order by fetched.updated_at desc nulls last
) = 1
