-- Classifications and volunteers per workflow and UTC day, for the dashboard's activity panels.
-- Incremental: a run recounts only the days that received classifications, and the day each of
-- their volunteers first classified in the workflow before this run: a classification landed
-- late may move a volunteer's first day earlier, and the old first day then counts one new
-- volunteer fewer.
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=['workflow_id', 'classified_on'],
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

-- not materialized: each use below filters it, and the filter must reach derived's scan
with classifications as {{ not_materialized() }} (
    select
        classification_id,
        workflow_id,
        user_id,
        created_at,
        _loaded_at,
        cast(created_at as date) as classified_on
    from {{ ref('derived') }}
    where annotation_index = 0
),

{% if is_incremental() %}
    new_classifications as (
        select
            workflow_id,
            user_id,
            classified_on
        from classifications
        where _loaded_at > {{ high_water_mark('_loaded_at') }}
    ),

    returning_volunteers as {{ materialized_cte() }} (
        select distinct
            workflow_id,
            user_id
        from new_classifications
        where user_id is not null
    ),

    -- each of them's first day in the workflow as the previous runs counted it
    previous_first_days as (
        select
            classifications.workflow_id,
            min(classifications.classified_on) as classified_on
        from classifications
        {{ semi_join() }} returning_volunteers using (workflow_id, user_id)
        where classifications._loaded_at <= {{ high_water_mark('_loaded_at') }}
        group by classifications.workflow_id, classifications.user_id
    ),

    touched_days as {{ materialized_cte() }} (
        select
            workflow_id,
            classified_on
        from new_classifications
        union
        select
            workflow_id,
            classified_on
        from previous_first_days
    ),

    day_classifications as (
        select classifications.*
        from classifications
        {{ semi_join() }} touched_days using (workflow_id, classified_on)
        where {{ on_or_after_earliest_day('classifications.created_at', 'touched_days') }}
    ),
{% else %}
    day_classifications as (
        select * from classifications
    ),
{% endif %}

day_volunteers as (
    select distinct
        workflow_id,
        user_id,
        classified_on
    from day_classifications
    where user_id is not null
),

-- first days over every classification of the volunteers of those days, not just these days'
first_days as (
    select
        classifications.workflow_id,
        classifications.user_id,
        min(classifications.classified_on) as first_classified_on
    from classifications
    {{ semi_join() }} day_volunteers using (workflow_id, user_id)
    group by classifications.workflow_id, classifications.user_id
),

first_timers as (
    select
        day_volunteers.workflow_id,
        day_volunteers.classified_on,
        count(*) as new_volunteers
    from day_volunteers
    inner join first_days
        on
            day_volunteers.workflow_id = first_days.workflow_id
            and day_volunteers.user_id = first_days.user_id
            and day_volunteers.classified_on = first_days.first_classified_on
    group by day_volunteers.workflow_id, day_volunteers.classified_on
),

counted as (
    select
        workflow_id,
        classified_on,
        count(distinct classification_id) as classifications,
        count(distinct user_id) as volunteers,
        count(distinct case
            when user_id is null then classification_id
        end) as anonymous_classifications
    from day_classifications
    group by workflow_id, classified_on
),

final as (
    select
        counted.workflow_id,
        counted.classified_on,
        counted.classifications,
        counted.volunteers,
        coalesce(first_timers.new_volunteers, 0) as new_volunteers,
        counted.anonymous_classifications,
        {{ run_started_timestamp() }} as _loaded_at
    from counted
    left join first_timers
        on
            counted.workflow_id = first_timers.workflow_id
            and counted.classified_on = first_timers.classified_on
)

select * from final
