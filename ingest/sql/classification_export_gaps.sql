-- Classification ids up to $through that an export set aside for $workflow_id ($files: files
-- of raw/rejected/source=export), not landed since by any path (landed_classification_ids)
-- and not set aside by the API (set_aside_by_api): the API may serve them whole.
with set_aside as (
    select distinct entity_id as classification_id
    from read_parquet($files)
    where
        entity = 'classification'
        and workflow_id = $workflow_id
        and entity_id <= $through
),

set_aside_by_the_api as (
    select entity_id as classification_id
    from set_aside_by_api
    where entity = 'classification' and entity_id is not null
)

select set_aside.classification_id
from set_aside
anti join landed_classification_ids using (classification_id)
anti join set_aside_by_the_api using (classification_id)
order by set_aside.classification_id
