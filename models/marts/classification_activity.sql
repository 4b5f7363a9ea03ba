-- Classifications per workflow and hour (UTC), for dashboards watching a campaign run.
-- Incremental: a run recounts only the (workflow, hour) buckets that received classifications.
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=['workflow_id', 'classified_hour'],
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

with classifications as (
    select
        classification_id,
        workflow_id,
        subject_id,
        user_id,
        _loaded_at,
        date_trunc('hour', created_at) as classified_hour
    from {{ ref('derived') }}
    where annotation_index = 0
),

touched_hours as (
    select distinct
        workflow_id,
        classified_hour
    from classifications
    {% if is_incremental() %}
        where classifications._loaded_at > {{ high_water_mark('_loaded_at') }}
    {% endif %}
),

final as (
    select
        classifications.workflow_id,
        classifications.classified_hour,
        count(distinct classifications.classification_id) as classifications,
        count(distinct classifications.user_id) as volunteers,
        count(distinct case
            when classifications.user_id is null then classifications.classification_id
        end) as anonymous_classifications,
        count(distinct classifications.subject_id) as subjects,
        {{ run_started_timestamp() }} as _loaded_at
    from classifications
    {{ semi_join() }} touched_hours using (workflow_id, classified_hour)
    group by classifications.workflow_id, classifications.classified_hour
)

select * from final
