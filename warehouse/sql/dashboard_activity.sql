-- Classifications per workflow and $unit ('hour', 'day' or 'month'): the last $periods of them
-- up to the latest (all of them when $periods is 0), zero-filled.
with counted as (
    select
        workflow_id,
        date_trunc($unit, classified_hour) as period,
        sum(classifications)::bigint as classifications
    from activity
    group by all
),

bounds as (
    select
        min(period) as first_period,
        max(period) as last_period,
        case $unit
            when 'day' then interval 1 day
            when 'month' then interval 1 month
            else interval 1 hour
        end as step
    from counted
),

series as (
    select
        unnest(generate_series(
            case
                when $periods > 0
                    then greatest(first_period, last_period - ($periods - 1) * step)
                else first_period
            end,
            last_period,
            step
        )) as period
    from bounds
),

workflows as (
    select distinct workflow_id
    from counted
)

select
    workflows.workflow_id,
    series.period,
    coalesce(counted.classifications, 0) as classifications
from series
cross join workflows
left join counted
    on
        workflows.workflow_id = counted.workflow_id
        and series.period = counted.period
order by series.period, workflows.workflow_id
