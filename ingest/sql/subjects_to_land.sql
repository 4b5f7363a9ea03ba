-- The latest row of each subject in subject_candidates, with its disposition: land, landed
-- (in landed_subject_ids) or reject (with its reason). Subjects without a project get
-- $default_project.
with latest as (
    select *
    from subject_candidates
    qualify row_number() over (
        partition by subject_id_text order by updated_at desc nulls last
    ) = 1
)

select
    subject_id,
    metadata,
    created_at,
    updated_at,
    raw,
    subject_id as entity_id,
    'subject' as entity,
    'export' as source,
    $ingested_at as ingested_at,
    null::bigint as workflow_id,
    case
        when subject_id is null or not json_valid(metadata) then 'reject'
        when
            subject_id in (select landed.subject_id from landed_subject_ids as landed)
            then 'landed'
        else 'land'
    end as disposition,
    case
        when subject_id is null
            then 'subject_id is not an integer id: ' || left(subject_id_text, 40)
        when not json_valid(metadata) then 'metadata is not valid JSON'
    end as reason,
    coalesce(project_id, $default_project) as project_id,
    coalesce(locations, '[]') as locations
from latest
