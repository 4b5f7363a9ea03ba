-- Remember the classification ids above $after_id of landed files ($files): what reading
-- after that id again may serve.
insert into seen
select classification_id
from read_parquet($files)
where classification_id > $after_id
