-- Logged-in volunteers who classified at least once.
select count(*) as volunteers
from volunteers
