-- The marts the attached serving database has a view of.
select view_name
from duckdb_views()
where database_name = 'published'
