-- Subjects, classifications, and retired subjects: as Panoptes reports them when any of its
-- statuses has landed (retirement_from_panoptes), else an estimate, the subjects with at least
-- $retirement_count classifications.
select
    count(*) as subjects,
    coalesce(sum(classification_count), 0) as classifications,
    count(status_ingested_at) > 0 as retirement_from_panoptes,
    case
        when count(status_ingested_at) > 0 then count(retired_at)
        else count(*) filter (where classification_count >= $retirement_count)
    end as retired
from subjects
