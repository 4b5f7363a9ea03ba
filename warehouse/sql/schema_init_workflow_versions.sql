-- The landed versions of workflow $workflow_id ($files: its raw/workflow_versions files), one
-- row per major.minor, the latest landing winning as in stg_panoptes__workflow_versions, oldest
-- version first. display_name is there for versions landed from the Lab's workflows export.
with landed as (
    select
        workflow_id,
        major_number,
        minor_number,
        first_task,
        tasks,
        strings,
        try_cast(raw as json) ->> 'display_name' as display_name,
        row_number() over (
            partition by major_number, minor_number
            order by ingested_at desc, workflow_version_id desc
        ) as landing_rank
    from read_parquet($files)
    where workflow_id = $workflow_id
)

select
    workflow_id,
    major_number,
    minor_number,
    first_task,
    tasks,
    strings,
    display_name
from landed
where landing_rank = 1
order by major_number, minor_number
