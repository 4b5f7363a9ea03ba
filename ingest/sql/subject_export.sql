-- Subject rows of a Lab subjects export (view export_csv): one per (subject, subject set,
-- workflow), for subjects_to_land to pick the latest of each subject.
with source as (
    select * from export_csv
    -- the columns an export may lack, as nulls
    union all by name
    select
        null::varchar as project_id,
        null::varchar as locations,
        null::varchar as created_at,
        null::varchar as updated_at
    where false
)

select
    metadata,
    locations,
    subject_id as subject_id_text,
    raw::varchar as raw,
    parsed_id(subject_id) as subject_id,
    parsed_id(project_id) as project_id,
    try_strptime(created_at, '%Y-%m-%d %H:%M:%S UTC') as created_at,
    try_strptime(updated_at, '%Y-%m-%d %H:%M:%S UTC') as updated_at
from source
