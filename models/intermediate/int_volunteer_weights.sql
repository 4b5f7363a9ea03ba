-- GZ2-style volunteer weights (Willett et al. 2013), recomputed in full on every run: a
-- volunteer's consistency depends on every subject they classified, and new votes move the
-- fractions of those subjects. For each counted annotation of a single-choice question by a
-- logged-in volunteer, with f_j the subject's vote fraction of answer j and N the question's
-- number of answers, kappa = (1/N) * sum_j (f_j if the volunteer chose j else 1 - f_j); a
-- volunteer's consistency is their mean kappa (all schemas pooled) and their weight
-- min(1, (consistency / 0.6) ^ 8.5). The first iteration reads the unweighted fractions, each
-- next one the fractions weighted by the weights of the one before (anonymous votes, and
-- volunteers without a single-choice annotation, weigh 1); var
-- `volunteer_weighting_iterations` of them. Since sum_j (1 - f_j) = N - sum_j f_j, a chosen
-- answer adds (2 f_j - 1) / N and each annotation (N - sum_j f_j) / N.
--
-- Incremental (delete+insert on user_id): a run writes only the volunteers whose weight,
-- consistency, number of annotations or applied weight changed (a change under 1e-9 is none:
-- sums aggregated in parallel are not bit-stable), and a volunteer left without a counted
-- single-choice annotation as weight 1 and no annotations. `applied_weight` is the weight the
-- weighted votes are summed with: the weight itself, unless it is within var
-- `volunteer_weight_tolerance` (0 by default: always) of the applied weight before, which then
-- stays. `_weight_loaded_at` is when the applied weight last changed: int_weighted_answer_votes
-- recomputes the subjects of those volunteers. A run that finds the counted votes, the schema
-- and the vars as the last build left them writes nothing without recomputing (meta
-- skip_unchanged_inputs: macros/engine/unchanged_inputs.sql).
-- Built after int_answer_votes (depends_on below), not beside it: the queries over
-- every vote of a full build share one memory limit.
-- depends_on: {{ ref('int_answer_votes') }}
{{
    config(
        materialized=incremental_where_supported(),
        unique_key='user_id',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}
{%- set iterations = numeric_var('volunteer_weighting_iterations', 3, integer=true, minimum=1, maximum=20) %}
{%- set tolerance = numeric_var('volunteer_weight_tolerance', 0, minimum=0, maximum=1) %}

-- Integer keys for the iterations: (subject_id, question_key, answer_key) instead of the
-- schema, question and answer names, looked up once; each iteration groups and joins every
-- counted vote on them. A question's key holds its schema's (2^20 questions a schema at most),
-- an answer's its question's (2^20 answers a question): fewer columns to hash than the four
-- apart (a sixth less time at 1M votes).
with schema_keys as (
    select
        schema_name,
        -- a bigint on every engine: the answer keys below reach 2^60
        cast(row_number() over (order by schema_name) as bigint) as schema_key
    from (select distinct schema_name from {{ ref('int_schema_answers') }}) as schema_names
),

answer_keys as (
    select
        schema_answers.schema_name,
        schema_answers.question,
        schema_answers.answer,
        cast(count(*) over (
            partition by schema_answers.schema_name, schema_answers.question
        ) as double) as n_answers,
        schema_keys.schema_key * 1048576 + schema_answers.question_order as question_key,
        (schema_keys.schema_key * 1048576 + schema_answers.question_order) * 1048576
        + schema_answers.answer_order as answer_key
    from {{ ref('int_schema_answers') }} as schema_answers
    inner join schema_keys on schema_answers.schema_name = schema_keys.schema_name
),

-- only the columns the weighting needs: each iteration reads every counted vote
votes as (
    select
        counted_votes.subject_id,
        answer_keys.question_key,
        answer_keys.answer_key,
        counted_votes.user_id,
        counted_votes.is_single_choice,
        counted_votes.is_first_of_annotation,
        answer_keys.n_answers
    from {{ ref('int_counted_votes') }} as counted_votes
    inner join answer_keys
        on
            counted_votes.schema_name = answer_keys.schema_name
            and counted_votes.question = answer_keys.question
            and counted_votes.answer = answer_keys.answer
),

-- the annotations the consistency is the mean over
scored_votes as (
    select
        subject_id,
        question_key,
        answer_key,
        user_id,
        is_first_of_annotation,
        n_answers
    from votes
    where is_single_choice and user_id is not null
),

-- before the first iteration, every vote weighs 1
weights_0 as (
    select
        cast(null as bigint) as user_id,
        cast(1.0 as double) as weight
    from schema_keys
    where false
),
{% for iteration in range(1, iterations + 1) %}

    -- iteration {{ iteration }}: the vote fractions, weighted by the weights of iteration
    -- {{ iteration - 1 }}{{ ' (all 1: the unweighted fractions)' if iteration == 1 }}
    answer_weights_{{ iteration }} as (
        select
            votes.subject_id,
            votes.question_key,
            votes.answer_key,
            sum(coalesce(weights_{{ iteration - 1 }}.weight, 1.0)) as answer_weight,
            sum(
                case
                    when votes.is_first_of_annotation
                        then coalesce(weights_{{ iteration - 1 }}.weight, 1.0)
                    else 0.0
                end
            ) as annotation_weight
        from votes
        left join weights_{{ iteration - 1 }} on votes.user_id = weights_{{ iteration - 1 }}.user_id
        group by votes.subject_id, votes.question_key, votes.answer_key
    ),

    fractions_{{ iteration }} as (
        select
            subject_id,
            question_key,
            answer_key,
            answer_weight / nullif(
                sum(annotation_weight) over (partition by subject_id, question_key), 0
            ) as fraction,
            sum(answer_weight) over (partition by subject_id, question_key)
            / nullif(
                sum(annotation_weight) over (partition by subject_id, question_key), 0
            ) as fraction_sum
        from answer_weights_{{ iteration }}
    ),

    consistencies_{{ iteration }} as (
        select
            scored.user_id,
            sum(
                case
                    when scored.is_first_of_annotation
                        then (scored.n_answers - fractions.fraction_sum) / scored.n_answers
                    else 0.0
                end
                + (2 * fractions.fraction - 1) / scored.n_answers
            ) / count_if(scored.is_first_of_annotation) as consistency,
            count_if(scored.is_first_of_annotation) as annotations
        from scored_votes as scored
        inner join fractions_{{ iteration }} as fractions
            on
                scored.subject_id = fractions.subject_id
                and scored.answer_key = fractions.answer_key
        group by scored.user_id
    ),

    weights_{{ iteration }} as (
        select
            user_id,
            consistency,
            annotations,
            least(1.0, power(consistency / 0.6, 8.5)) as weight
        from consistencies_{{ iteration }}
    ),
{% endfor %}

current_weights as (
    select * from weights_{{ iterations }}
),

{% if is_incremental() %}
    previous_weights as (
        select * from {{ this }}
    ),

    -- every volunteer's weight now beside the one applied before: a volunteer new here, or
    -- whose weight moved further than the tolerance from it (every one, with the default 0), is
    -- applied the new weight; the comparison is over everyone, so that a smaller tolerance takes
    -- effect at once. Volunteers left without a counted single-choice annotation weigh 1 again.
    compared as (
        select
            coalesce(current_weights.user_id, previous_weights.user_id) as user_id,
            current_weights.consistency,
            coalesce(current_weights.weight, 1.0) as weight,
            coalesce(current_weights.annotations, 0) as annotations,
            previous_weights.user_id is null as is_new,
            previous_weights.consistency as previous_consistency,
            previous_weights.weight as previous_weight,
            previous_weights.annotations as previous_annotations,
            coalesce(previous_weights.applied_weight, 1.0) as previous_applied_weight,
            previous_weights._weight_loaded_at as previous_weight_loaded_at
        from current_weights
        full outer join previous_weights on current_weights.user_id = previous_weights.user_id
        where current_weights.user_id is not null or previous_weights.annotations > 0
    ),

    applied as (
        select
            *,
            case
                when is_new or abs(weight - previous_applied_weight) > {{ tolerance }} then weight
                else previous_applied_weight
            end as applied_weight
        from compared
    ),

    changed as (
        select
            user_id,
            consistency,
            weight,
            annotations,
            applied_weight,
            case
                when abs(applied_weight - previous_applied_weight) > 1e-9
                    then {{ run_started_timestamp() }}
                else previous_weight_loaded_at
            end as _weight_loaded_at
        from applied
        where
            is_new
            or annotations != previous_annotations
            or abs(weight - previous_weight) > 1e-9
            or abs(applied_weight - previous_applied_weight) > 1e-9
            or abs(consistency - previous_consistency) > 1e-9
            or (consistency is null) != (previous_consistency is null)
    ),
{% else %}
    changed as (
        select
            user_id,
            consistency,
            weight,
            annotations,
            weight as applied_weight,
            {{ run_started_timestamp() }} as _weight_loaded_at
        from current_weights
    ),
{% endif %}

final as (
    select
        user_id,
        consistency,
        weight,
        annotations,
        applied_weight,
        _weight_loaded_at,
        {{ run_started_timestamp() }} as _loaded_at
    from changed
)

select * from final
