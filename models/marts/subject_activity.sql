-- Classifications per subject, workflow and UTC day: a subject's classifications over time, read
-- one subject at a time (published ordered by subject_id, so that a reader filtering one subject
-- skips most of the file by its row groups' statistics). Incremental: a run recounts only the
-- (subject, workflow, day) keys that received classifications.
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=['subject_id', 'workflow_id', 'classified_on'],
        meta={
            'skip_unchanged_inputs': true,
            'publish_order_by': ['subject_id', 'workflow_id', 'classified_on'],
        },
        post_hook="{{ remember_inputs() }}",
    )
}}

-- not materialized: each use below filters it, and the filter must reach derived's scan
with classifications as {{ not_materialized() }} (
    select
        classification_id,
        subject_id,
        workflow_id,
        created_at,
        _loaded_at,
        cast(created_at as date) as classified_on
    from {{ ref('derived') }}
    where annotation_index = 0
),

{% if is_incremental() %}
    touched_keys as {{ materialized_cte() }} (
        select distinct
            subject_id,
            workflow_id,
            classified_on
        from classifications
        where _loaded_at > {{ high_water_mark('_loaded_at') }}
    ),

    key_classifications as (
        select classifications.*
        from classifications
        {{ semi_join() }} touched_keys using (subject_id, workflow_id, classified_on)
        where {{ on_or_after_earliest_day('classifications.created_at', 'touched_keys') }}
    ),
{% else %}
    key_classifications as (
        select * from classifications
    ),
{% endif %}

final as (
    select
        subject_id,
        workflow_id,
        classified_on,
        count(distinct classification_id) as classifications,
        {{ run_started_timestamp() }} as _loaded_at
    from key_classifications
    group by subject_id, workflow_id, classified_on
)

select * from final
