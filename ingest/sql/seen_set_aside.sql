-- Remember the classifications of $workflow_id that the API set aside ($files: files of
-- raw/rejected/source=api): by id, else by the md5 of their text.
insert into seen
select entity_id as classification_id
from read_parquet($files)
where
    entity = 'classification'
    and workflow_id = $workflow_id
    and entity_id is not null
