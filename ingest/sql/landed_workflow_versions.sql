-- The landed workflow versions ($files), oldest landed first.
select
    workflow_id,
    major_number,
    minor_number,
    tasks,
    strings
from read_parquet($files)
order by ingested_at
