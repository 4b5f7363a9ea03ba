-- The question schemas that have votes.
select distinct schema_name
from vote_counts
order by schema_name
