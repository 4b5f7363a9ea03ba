-- Per workflow and UTC day, volunteer_activity's classifications and anonymous classifications
-- are classification_activity's summed over the day's hours, and its classifications are
-- subject_activity's summed over the day's subjects: the three marts count the same
-- classifications. Checks the days this build recounted (every day with test_all_rows).
with days as (
    select
        workflow_id,
        classified_on,
        classifications,
        anonymous_classifications
    from {{ ref('volunteer_activity') }}
    where {{ new_rows_filter(ref('volunteer_activity')) }}
),

hours as (
    select
        workflow_id,
        cast(classified_hour as date) as classified_on,
        classifications,
        anonymous_classifications
    from {{ ref('classification_activity') }}
),

hourly as (
    select
        hours.workflow_id,
        hours.classified_on,
        sum(hours.classifications) as classifications,
        sum(hours.anonymous_classifications) as anonymous_classifications
    from hours
    {{ semi_join() }} days using (workflow_id, classified_on)
    group by hours.workflow_id, hours.classified_on
),

by_subject as (
    select
        subject_days.workflow_id,
        subject_days.classified_on,
        sum(subject_days.classifications) as classifications
    from {{ ref('subject_activity') }} as subject_days
    {{ semi_join() }} days using (workflow_id, classified_on)
    group by subject_days.workflow_id, subject_days.classified_on
),

compared as (
    select
        days.workflow_id,
        days.classified_on,
        days.classifications,
        days.anonymous_classifications,
        hourly.classifications as hourly_classifications,
        hourly.anonymous_classifications as hourly_anonymous_classifications,
        by_subject.classifications as subject_classifications
    from days
    left join hourly
        on
            days.workflow_id = hourly.workflow_id
            and days.classified_on = hourly.classified_on
    left join by_subject
        on
            days.workflow_id = by_subject.workflow_id
            and days.classified_on = by_subject.classified_on
)

select *
from compared
where
    hourly_classifications is null
    or subject_classifications is null
    or classifications != hourly_classifications
    or anonymous_classifications != hourly_anonymous_classifications
    or classifications != subject_classifications
