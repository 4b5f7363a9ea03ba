-- How many subjects have each number of classifications, capped at twice $retirement_count.
select
    least(classification_count, 2 * $retirement_count) as classifications,
    count(*) as subjects
from subjects
group by 1
order by 1
