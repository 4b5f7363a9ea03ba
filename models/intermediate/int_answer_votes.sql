-- Votes, total votes and vote fraction for every answer of a schema, for every subject with at
-- least one vote in that schema (zero-filled), from the counted votes of int_counted_votes
-- (the quality filters, the repeat policy and the first answer of each question are applied
-- there, once). vote_counts adds the intervals and the cumulative fractions: counting is a
-- model of its own so that its memory is freed before the tree is walked (in one query, GZ2
-- scale, 60M votes, ran out of a 4 GB memory limit).
-- Incremental: a run recomputes only the subjects that received new votes, from all of their
-- counted votes, and every subject of a schema whose configuration (seeds, vars) changed.
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            ['schema_name', 'subject_id'], ['schema_name', 'subject_id', 'question', 'answer']
        ),
        pre_hook="{{ forget_changed_configuration() }}",
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

-- flat is not materialized: each use filters it, and the filter must reach the scan.
with flat as {{ not_materialized() }} (
    select * from {{ ref('flat') }}
),

schema_answers as (
    select * from {{ ref('int_schema_answers') }}
),

configurations as (
    {{ schema_configurations() }}
),

{% if is_incremental() %}
    reconfigured_schemas as (
        {{ reconfigured_schemas('flat') }}
    ),
{% endif %}

changed_subjects as (
    select distinct
        flat.schema_name,
        flat.subject_id
    from flat
    where flat.schema_name is not null
    {% if is_incremental() %}
        and flat._loaded_at > {{ high_water_mark('_loaded_at') }}
        -- apart, not an OR: the mark is a constant a scan prunes row groups by
        union
        {{ subjects_of_reconfigured_schemas('flat') }}
    {% endif %}
),

-- the counted votes of those subjects: int_counted_votes applies the quality filters, the
-- repeat policy and the first answer of each question once, for this model and the others
counted_votes as (
    select
        counted.schema_name,
        counted.subject_id,
        counted.classification_id,
        counted.question,
        counted.answer,
        counted.is_first_of_annotation
    from {{ ref('int_counted_votes') }} as counted
    {% if is_incremental() %}
        {{ semi_join() }} changed_subjects using (schema_name, subject_id)
    {% endif %}
),

-- a classification counts once per answer and, by its first row, once per question
answer_votes as (
    select
        schema_name,
        subject_id,
        question,
        answer,
        count(*) as votes
    from counted_votes
    group by schema_name, subject_id, question, answer
),

question_totals as (
    select
        schema_name,
        subject_id,
        question,
        count(*) as total_votes
    from counted_votes
    where is_first_of_annotation
    group by schema_name, subject_id, question
),

final as (
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
        / nullif(question_totals.total_votes, 0) as vote_fraction,
        configurations.digest as _configuration,
        {{ run_started_timestamp() }} as _loaded_at
    from changed_subjects
    inner join schema_answers using (schema_name)
    inner join configurations using (schema_name)
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
)

select * from final
