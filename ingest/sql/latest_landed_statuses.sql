-- The latest landed snapshot of each (subject, workflow) in the landed status files ($files):
-- what a status fetched now is compared with. Columns in the landing's order.
select
    subject_id,
    workflow_id,
    project_id,
    classifications_count,
    retired_at,
    retirement_reason,
    created_at,
    updated_at,
    raw,
    source,
    ingested_at
from read_parquet($files, hive_partitioning = false)
qualify row_number() over (
    partition by subject_id, workflow_id
    order by ingested_at desc, updated_at desc nulls last
) = 1
