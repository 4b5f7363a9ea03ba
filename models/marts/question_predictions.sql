-- Per subject and question of a schema: the majority answer and its confidence (its vote
-- fraction); ties go to the answer listed first in the seed. Null when nobody answered.
-- Incremental: recomputes the subjects vote_counts recomputed (every subject of a schema whose
-- configuration changed).
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            ['schema_name', 'subject_id'], ['schema_name', 'subject_id', 'question']
        ),
        pre_hook="{{ forget_changed_configuration(ref('vote_counts')) }}",
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true, 'publish_in_subject_buckets': true},
    )
}}

{% if is_incremental() %}
    with reconfigured_schemas as {{ materialized_cte() }} (
        {{ reconfigured_schemas(ref('vote_counts')) }}
    ),

    vote_counts as (
        select * from {{ ref('vote_counts') }}
        where vote_counts._loaded_at > {{ high_water_mark('_loaded_at') }}
        union all
        select * from {{ ref('vote_counts') }}
        {{ semi_join() }} reconfigured_schemas using (schema_name)
        where vote_counts._loaded_at <= {{ high_water_mark('_loaded_at') }}
    ),
{% else %}
    with vote_counts as (
        select * from {{ ref('vote_counts') }}
    ),
{% endif %}

ranked as (
    select
        *,
        row_number() over (
            partition by schema_name, subject_id, question
            order by votes desc, answer_order asc
        ) as answer_rank
    from vote_counts
),

final as (
    select
        schema_name,
        subject_id,
        question,
        question_order,
        case when total_votes > 0 then answer end as prediction,
        case when total_votes > 0 then vote_fraction end as prediction_conf,
        total_votes,
        _configuration,
        {{ run_started_timestamp() }} as _loaded_at
    from ranked
    where answer_rank = 1
)

select * from final
