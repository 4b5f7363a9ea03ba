-- Votes, total votes and vote fraction for every answer of a schema, for every subject with
-- at least one vote in that schema (zero-filled). Repeat classifications of a subject by one
-- volunteer follow var('repeat_classifications'). Incremental: a run recomputes only the
-- subjects that received new votes, from all of their votes.
{{
    config(
        materialized='incremental',
        unique_key=['schema_name', 'subject_id'],
    )
}}

with flat as (
    select * from {{ ref('flat') }}
),

schema_answers as (
    select
        schema_name,
        question,
        answer
    from {{ ref('question_answer_schema') }}
),

new_votes as (
    select * from flat
    {% if is_incremental() %}
        where flat._loaded_at > {{ high_water_mark('_loaded_at') }}
    {% endif %}
),

changed_subjects as (
    select distinct
        schema_name,
        subject_id
    from new_votes
    where schema_name is not null
),

subject_votes as (
    select flat.*
    from flat
    semi join changed_subjects using (schema_name, subject_id)
),

counted_classifications as (
    {{ repeat_classification_filter('subject_votes') }}
),

counted_votes as (
    select subject_votes.*
    from subject_votes
    semi join counted_classifications using (schema_name, classification_id)
    where subject_votes.question is not null
),

answer_votes as (
    select
        schema_name,
        subject_id,
        question,
        answer,
        count(distinct classification_id) as votes
    from counted_votes
    group by schema_name, subject_id, question, answer
),

question_totals as (
    select
        schema_name,
        subject_id,
        question,
        count(distinct classification_id) as total_votes
    from counted_votes
    group by schema_name, subject_id, question
),

grid as (
    select
        changed_subjects.schema_name,
        changed_subjects.subject_id,
        schema_answers.question,
        schema_answers.answer
    from changed_subjects
    inner join schema_answers using (schema_name)
),

final as (
    select
        grid.schema_name,
        grid.subject_id,
        grid.question,
        grid.answer,
        coalesce(answer_votes.votes, 0) as votes,
        coalesce(question_totals.total_votes, 0) as total_votes,
        coalesce(answer_votes.votes, 0)
        / nullif(question_totals.total_votes, 0) as vote_fraction,
        {{ run_started_timestamp() }} as _loaded_at
    from grid
    left join answer_votes
        on
            grid.schema_name = answer_votes.schema_name
            and grid.subject_id = answer_votes.subject_id
            and grid.question = answer_votes.question
            and grid.answer = answer_votes.answer
    left join question_totals
        on
            grid.schema_name = question_totals.schema_name
            and grid.subject_id = question_totals.subject_id
            and grid.question = question_totals.question
)

select * from final
