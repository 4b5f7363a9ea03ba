-- Weighted votes per subject, question and answer: the sum of the applied weights
-- (volunteer_weights; 1 for anonymous classifications and unweighted volunteers) of the counted
-- classifications that gave the answer, and of those that answered the question. One row per
-- answer with at least one counted vote; vote_counts zero-fills them. Incremental (delete+insert on
-- schema_name, subject_id): a run recomputes the subjects with new counted votes or recounted
-- (int_answer_votes; every subject of a reconfigured schema) and every subject classified by a
-- volunteer whose applied weight changed since the last run
-- (int_volunteer_weights._weight_loaded_at).
-- depends_on: {{ ref('int_answer_votes') }}
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            ['schema_name', 'subject_id'], ['schema_name', 'subject_id', 'question', 'answer']
        ),
        pre_hook="{{ forget_changed_configuration(ref('int_counted_votes')) }}",
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

-- not materialized: each use filters it, and the filter must reach the scan
with counted_votes as {{ not_materialized() }} (
    select * from {{ ref('int_counted_votes') }}
),

-- the applied weights: each volunteer's weight, or the one before while the weight stays
-- within var volunteer_weight_tolerance of it (int_volunteer_weights)
weights as (
    select
        user_id,
        applied_weight as weight,
        _weight_loaded_at
    from {{ ref('int_volunteer_weights') }}
),

{% if is_incremental() %}
    reconfigured_schemas as (
        {{ reconfigured_schemas(ref('int_counted_votes')) }}
    ),

    reweighted_volunteers as {{ materialized_cte() }} (
        select weights.user_id
        from weights
        where weights._weight_loaded_at > {{ high_water_mark('_loaded_at') }}
    ),

    changed_subjects as {{ materialized_cte() }} (
        select
            counted_votes.schema_name,
            counted_votes.subject_id
        from counted_votes
        where counted_votes._loaded_at > {{ high_water_mark('_loaded_at') }}
        -- and those counted again to fewer votes (whose counted votes were deleted alone):
        -- int_answer_votes recounts every subject with new votes
        union
        select
            answer_votes.schema_name,
            answer_votes.subject_id
        from {{ ref('int_answer_votes') }} as answer_votes
        where answer_votes._loaded_at > {{ high_water_mark('_loaded_at') }}
        union
        select
            counted_votes.schema_name,
            counted_votes.subject_id
        from counted_votes
        {{ semi_join() }} reconfigured_schemas using (schema_name)
        union
        select
            counted_votes.schema_name,
            counted_votes.subject_id
        from counted_votes
        {{ semi_join() }} reweighted_volunteers using (user_id)
    ),

    subject_votes as (
        select counted_votes.*
        from counted_votes
        {{ semi_join() }} changed_subjects using (schema_name, subject_id)
    ),
{% else %}
    subject_votes as (
        select * from counted_votes
    ),
{% endif %}

answer_weights as (
    select
        subject_votes.schema_name,
        subject_votes.subject_id,
        subject_votes.question,
        subject_votes.answer,
        sum(coalesce(weights.weight, 1.0)) as weighted_votes,
        sum(
            case when subject_votes.is_first_of_annotation then coalesce(weights.weight, 1.0) else 0.0 end
        ) as annotation_weight,
        max(subject_votes._configuration) as _configuration
    from subject_votes
    left join weights on subject_votes.user_id = weights.user_id
    group by
        subject_votes.schema_name, subject_votes.subject_id, subject_votes.question, subject_votes.answer
),

final as (
    select
        schema_name,
        subject_id,
        question,
        answer,
        weighted_votes,
        sum(annotation_weight) over (
            partition by schema_name, subject_id, question
        ) as weighted_total_votes,
        _configuration,
        {{ run_started_timestamp() }} as _loaded_at
    from answer_weights
)

select * from final
