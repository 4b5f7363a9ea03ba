-- Votes, total votes, vote fraction, its Wilson interval and the path-aware (cumulative)
-- fraction for every answer of a schema, for every subject with at least one vote in that
-- schema (zero-filled). Quality filters (excluded volunteers, the date window, workflow version
-- ranges) apply before counting; repeat classifications of a subject by one volunteer follow
-- var('repeat_classifications'). Incremental: a run recomputes only the subjects that received
-- new votes, from all of their votes.
{{
    config(
        materialized='incremental',
        unique_key=['schema_name', 'subject_id'],
    )
}}

-- flat is not materialized: each use filters it, and the filter must reach the scan.
with flat as not materialized (
    select * from {{ ref('flat') }}
),

schema_answers as (
    select * from {{ ref('int_schema_answers') }}
),

workflow_schema as (
    select * from {{ ref('workflow_schema') }}
),

excluded_volunteers as (
    select * from {{ ref('excluded_volunteers') }}
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
    {% if is_incremental() %}
        semi join changed_subjects using (schema_name, subject_id)
    {% endif %}
),

eligible_votes as (
    select subject_votes.*
    from subject_votes
    inner join workflow_schema using (schema_name, workflow_id)
    anti join excluded_volunteers using (user_id)
    where
        {{ version_at_least('workflow_schema.min_workflow_version') }}
        and {{ version_at_most('workflow_schema.max_workflow_version') }}
        and {{ classified_in_window('subject_votes.created_at') }}
),

counted_classifications as (
    {{ repeat_classification_filter('eligible_votes') }}
),

counted_votes as (
    select eligible_votes.*
    from eligible_votes
    semi join counted_classifications using (schema_name, classification_id)
    where eligible_votes.question is not null
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

fractions as (
    select
        changed_subjects.schema_name,
        changed_subjects.subject_id,
        schema_answers.question,
        schema_answers.answer,
        schema_answers.question_order,
        schema_answers.answer_order,
        coalesce(answer_votes.votes, 0) as votes,
        coalesce(question_totals.total_votes, 0) as total_votes,
        coalesce(answer_votes.votes, 0)
        / nullif(question_totals.total_votes, 0) as vote_fraction
    from changed_subjects
    inner join schema_answers using (schema_name)
    left join answer_votes
        on
            changed_subjects.schema_name = answer_votes.schema_name
            and changed_subjects.subject_id = answer_votes.subject_id
            and schema_answers.question = answer_votes.question
            and schema_answers.answer = answer_votes.answer
    left join question_totals
        on
            changed_subjects.schema_name = question_totals.schema_name
            and changed_subjects.subject_id = question_totals.subject_id
            and schema_answers.question = question_totals.question
),

question_ancestry as (
    select distinct
        schema_name,
        question,
        unnest(ancestors) as ancestor
    from schema_answers
),

question_ancestors as (
    select
        schema_name,
        question,
        ancestor.question as ancestor_question,
        ancestor.answer as ancestor_answer
    from question_ancestry
),

-- The fraction of volunteers who reached a question: the product of the fractions of the
-- answers leading to it (0 as soon as one of them is 0, unknown if one is unknown).
reach as (
    select
        fractions.schema_name,
        fractions.subject_id,
        question_ancestors.question,
        case
            when bool_or(fractions.vote_fraction = 0) then 0.0
            when count(fractions.vote_fraction) < count(*) then null
            else product(fractions.vote_fraction)
        end as reach_fraction
    from question_ancestors
    inner join fractions
        on
            question_ancestors.schema_name = fractions.schema_name
            and question_ancestors.ancestor_question = fractions.question
            and question_ancestors.ancestor_answer = fractions.answer
    group by fractions.schema_name, fractions.subject_id, question_ancestors.question
),

interval_critical_value as (
    select {{ interval_z() }}::double as z
),

final as (
    select
        fractions.schema_name,
        fractions.subject_id,
        fractions.question,
        fractions.answer,
        fractions.question_order,
        fractions.answer_order,
        fractions.votes,
        fractions.total_votes,
        fractions.vote_fraction,
        {{ wilson_bound('fractions.votes', 'fractions.total_votes', 'interval_critical_value.z', 'lower') }}
            as vote_fraction_lower,
        {{ wilson_bound('fractions.votes', 'fractions.total_votes', 'interval_critical_value.z', 'upper') }}
            as vote_fraction_upper,
        case
            when reach.question is null then fractions.vote_fraction
            when reach.reach_fraction = 0 then 0.0
            else reach.reach_fraction * fractions.vote_fraction
        end as cumulative_fraction,
        {{ run_started_timestamp() }} as _loaded_at
    from fractions
    cross join interval_critical_value
    left join reach
        on
            fractions.schema_name = reach.schema_name
            and fractions.subject_id = reach.subject_id
            and fractions.question = reach.question
)

select * from final
