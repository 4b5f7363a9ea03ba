-- One row per logged-in volunteer (user id only, never a name): how much, on how many subjects
-- and days, from when to when, over every workflow landed. Incremental: a run recounts only the
-- volunteers with newly loaded classifications, from all of theirs.
{{
    config(
        materialized=incremental_where_supported(),
        unique_key='user_id',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

-- not materialized: each use below filters it, and the filter must reach derived's scan
with classifications as {{ not_materialized() }} (
    select
        classification_id,
        subject_id,
        user_id,
        created_at,
        _loaded_at
    from {{ ref('derived') }}
    where annotation_index = 0 and user_id is not null
),

{% if is_incremental() %}
    touched_volunteers as {{ materialized_cte() }} (
        select distinct user_id
        from classifications
        where _loaded_at > {{ high_water_mark('_loaded_at') }}
    ),

    volunteer_classifications as (
        select classifications.*
        from classifications
        {{ semi_join() }} touched_volunteers using (user_id)
    ),
{% else %}
    volunteer_classifications as (
        select * from classifications
    ),
{% endif %}

final as (
    select
        user_id,
        count(distinct classification_id) as classifications,
        count(distinct subject_id) as subjects,
        count(distinct cast(created_at as date)) as active_days,
        min(created_at) as first_classified_at,
        max(created_at) as last_classified_at,
        {{ run_started_timestamp() }} as _loaded_at
    from volunteer_classifications
    group by user_id
)

select * from final
