-- Remember the classifications of $workflow_id that the API set aside without an id ($files:
-- files of raw/rejected/source=api), by the md5 of their text.
insert into seen_unidentified
select md5(raw) as raw_md5
from read_parquet($files)
where
    entity = 'classification'
    and workflow_id = $workflow_id
    and entity_id is null
