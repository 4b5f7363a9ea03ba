-- How many subjects have each number of classifications (capped at twice $retirement_count),
-- and how many of them are retired: as Panoptes reports it when any of its statuses has
-- landed, else an estimate, the subjects with at least $retirement_count classifications.
with retirement_source as (
    select count(status_ingested_at) > 0 as from_panoptes
    from subjects
)

select
    least(subjects.classification_count, 2 * $retirement_count) as classifications,
    count(*) as subjects,
    count(*) filter (
        where
        case
            when retirement_source.from_panoptes then subjects.retired_at is not null
            else subjects.classification_count >= $retirement_count
        end
    ) as retired
from subjects
cross join retirement_source
group by 1
order by 1
