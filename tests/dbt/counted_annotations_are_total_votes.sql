-- Per subject and question, the annotations vote_accounting counts are vote_counts' total_votes:
-- every vote counted is accounted for, and nothing accounted as counted is missing from the
-- counts. Checks the subjects this build recomputed (every subject with test_all_rows).
with totals as (
    select distinct
        schema_name,
        subject_id,
        question,
        total_votes
    from {{ ref('vote_counts') }}
    where {{ new_rows_filter(ref('vote_counts')) }}
),

recounted_subjects as (
    select distinct
        schema_name,
        subject_id
    from totals
),

-- only the subjects checked: the accounting of every other subject is not read
counted as (
    select
        accounting.schema_name,
        accounting.subject_id,
        accounting.question,
        sum(accounting.annotations) as counted_annotations
    from {{ ref('vote_accounting') }} as accounting
    {{ semi_join() }} recounted_subjects using (schema_name, subject_id)
    where accounting.outcome = 'counted'
    group by accounting.schema_name, accounting.subject_id, accounting.question
),

compared as (
    select
        totals.schema_name,
        totals.subject_id,
        totals.question,
        totals.total_votes,
        coalesce(counted.counted_annotations, 0) as counted_annotations
    from totals
    left join counted
        on
            totals.schema_name = counted.schema_name
            and totals.subject_id = counted.subject_id
            and totals.question = counted.question
    union all
    -- counted under a question vote_counts does not have
    select
        counted.schema_name,
        counted.subject_id,
        counted.question,
        null as total_votes,
        counted.counted_annotations
    from counted
    inner join recounted_subjects
        on
            counted.schema_name = recounted_subjects.schema_name
            and counted.subject_id = recounted_subjects.subject_id
    {{ anti_join() }} totals
        on
            counted.schema_name = totals.schema_name
            and counted.subject_id = totals.subject_id
            and counted.question = totals.question
)

select *
from compared
where total_votes is null or total_votes != counted_annotations
