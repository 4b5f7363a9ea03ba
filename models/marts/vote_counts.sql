-- Votes, total votes, vote fraction, its Wilson interval and the path-aware (cumulative)
-- fraction for every answer of a schema, for every subject with at least one vote in that
-- schema (zero-filled): int_answer_votes (the counting, filters and repeat policy) with the
-- intervals, the walk down the tree, the proportion of volunteers asked each question and the
-- GZ2-style weighted votes (int_weighted_answer_votes). Incremental: the subjects
-- int_answer_votes or int_weighted_answer_votes recomputed, and every subject of a schema whose
-- configuration changed (macros/votes/configuration.sql).
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            ['schema_name', 'subject_id'], ['schema_name', 'subject_id', 'question', 'answer']
        ),
        pre_hook="{{ forget_changed_configuration(ref('int_answer_votes')) }}",
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true, 'publish_in_subject_buckets': true},
    )
}}

{% if is_incremental() %}
    with reconfigured_schemas as (
        {{ reconfigured_schemas(ref('int_answer_votes')) }}
    ),

    -- with new votes, or whose weighted votes moved with a volunteer's weight
    changed_subjects as {{ materialized_cte() }} (
        select
            int_answer_votes.schema_name,
            int_answer_votes.subject_id
        from {{ ref('int_answer_votes') }}
        where int_answer_votes._loaded_at > {{ high_water_mark('_loaded_at') }}
        union
        select
            int_answer_votes.schema_name,
            int_answer_votes.subject_id
        from {{ ref('int_answer_votes') }}
        {{ semi_join() }} reconfigured_schemas using (schema_name)
        union
        select
            int_weighted_answer_votes.schema_name,
            int_weighted_answer_votes.subject_id
        from {{ ref('int_weighted_answer_votes') }}
        where int_weighted_answer_votes._loaded_at > {{ high_water_mark('_loaded_at') }}
    ),

    fractions as (
        select int_answer_votes.*
        from {{ ref('int_answer_votes') }}
        {{ semi_join() }} changed_subjects using (schema_name, subject_id)
    ),

    weighted_votes as (
        select int_weighted_answer_votes.*
        from {{ ref('int_weighted_answer_votes') }}
        {{ semi_join() }} changed_subjects using (schema_name, subject_id)
    ),
{% else %}
    with fractions as (
        select * from {{ ref('int_answer_votes') }}
    ),

    weighted_votes as (
        select * from {{ ref('int_weighted_answer_votes') }}
    ),
{% endif %}

weighted_totals as (
    select
        schema_name,
        subject_id,
        question,
        max(weighted_total_votes) as weighted_total_votes
    from weighted_votes
    group by schema_name, subject_id, question
),

-- the classifications that answered the schema's first question: those asked every question
first_question_totals as (
    select
        schema_name,
        subject_id,
        max(total_votes) as first_total_votes
    from fractions
    where question_order = 1
    group by schema_name, subject_id
),

schema_answers as (
    select * from {{ ref('int_schema_answers') }}
),

question_ancestry as (
    select distinct
        schema_name,
        question,
        {{ unnest_list('ancestors') }} as ancestor
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
            else {{ product_agg('fractions.vote_fraction') }}
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
    select cast({{ interval_z() }} as double) as z
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
        cast(coalesce(weighted_votes.weighted_votes, 0) as double) as weighted_votes,
        cast(coalesce(weighted_totals.weighted_total_votes, 0) as double) as weighted_total_votes,
        coalesce(weighted_votes.weighted_votes, 0)
        / nullif(weighted_totals.weighted_total_votes, 0) as weighted_vote_fraction,
        cast(fractions.total_votes as double)
        / nullif(first_question_totals.first_total_votes, 0) as proportion_volunteers_asked,
        fractions._configuration,
        {{ run_started_timestamp() }} as _loaded_at
    from fractions
    cross join interval_critical_value
    left join reach
        on
            fractions.schema_name = reach.schema_name
            and fractions.subject_id = reach.subject_id
            and fractions.question = reach.question
    left join weighted_votes
        on
            fractions.schema_name = weighted_votes.schema_name
            and fractions.subject_id = weighted_votes.subject_id
            and fractions.question = weighted_votes.question
            and fractions.answer = weighted_votes.answer
    left join weighted_totals
        on
            fractions.schema_name = weighted_totals.schema_name
            and fractions.subject_id = weighted_totals.subject_id
            and fractions.question = weighted_totals.question
    left join first_question_totals
        on
            fractions.schema_name = first_question_totals.schema_name
            and fractions.subject_id = first_question_totals.subject_id
)

select * from final
