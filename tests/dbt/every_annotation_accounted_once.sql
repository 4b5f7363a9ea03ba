-- Per subject, vote_accounting's outcomes add up to the annotations landed: one per
-- classification and task, for each schema its workflow feeds (once where it feeds none).
-- Checks the subjects this build recomputed (every subject with test_all_rows).
with recounted_subjects as (
    select distinct subject_id
    from {{ ref('vote_accounting') }}
    where {{ new_rows_filter(ref('vote_accounting')) }}
),

landed as (
    select
        derived.subject_id,
        count(*) as annotations
    from {{ ref('derived') }} as derived
    inner join recounted_subjects
        on derived.subject_id = recounted_subjects.subject_id
    left join {{ ref('workflow_schema') }} as workflow_schema
        on derived.workflow_id = workflow_schema.workflow_id
    group by derived.subject_id
),

accounted as (
    select
        vote_accounting.subject_id,
        sum(vote_accounting.annotations) as annotations
    from {{ ref('vote_accounting') }} as vote_accounting
    inner join recounted_subjects
        on vote_accounting.subject_id = recounted_subjects.subject_id
    group by vote_accounting.subject_id
)

select
    recounted_subjects.subject_id,
    landed.annotations as landed_annotations,
    accounted.annotations as accounted_annotations
from recounted_subjects
left join landed on recounted_subjects.subject_id = landed.subject_id
left join accounted on recounted_subjects.subject_id = accounted.subject_id
where
    landed.annotations is null
    or accounted.annotations is null
    or landed.annotations != accounted.annotations
