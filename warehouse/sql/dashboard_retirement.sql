-- Per workflow, how many subjects have each number of its classifications (capped at twice
-- the retirement count, or at 100 without one), and how many of them are retired: as Panoptes
-- reports it where its statuses of the workflow have landed, else by the workflow's own
-- classification_count rule; none without either (mart workflows, retirement_source).
with per_subject as (
    select
        workflow_id,
        subject_id,
        sum(classifications) as classifications
    from activity
    group by workflow_id, subject_id
)

select
    per_subject.workflow_id,
    least(
        per_subject.classifications, coalesce(2 * workflows.retirement_count, 100)
    ) as classifications,
    count(*) as subjects,
    count(*) filter (
        where
        case workflows.retirement_source
            when 'panoptes' then subjects.retired_at is not null
            when 'rule' then per_subject.classifications >= workflows.retirement_count
            else false
        end
    ) as retired
from per_subject
left join workflows on per_subject.workflow_id = workflows.workflow_id
left join subjects on per_subject.subject_id = subjects.subject_id
group by all
order by all
