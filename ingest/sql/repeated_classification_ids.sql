-- Classification ids that more than one row of a Lab classifications export (view export_csv)
-- holds. Read before the conversion, from the one column, so that the conversion still streams
-- and only the rows of these ids wait to be landed once.
select parsed_id(classification_id) as classification_id
from export_csv
where parsed_id(classification_id) is not null
group by all
having count(*) > 1
