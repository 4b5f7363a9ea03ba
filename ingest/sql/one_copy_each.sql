-- One row per classification of repeated_rows (converted export rows to land whose
-- classification the file holds more than once): the copy whose raw sorts first, so that which
-- copy lands does not depend on the order the rows were read in.
select * -- noqa: AM04
from repeated_rows
qualify row_number() over (partition by classification_id order by raw) = 1
