-- How many items set aside in raw/rejected ($files) are still outstanding, and how many have
-- landed since by any path. The same rule as the dbt model outstanding_rejections: an item is
-- one (entity, entity_id), or one (entity, reason, raw) when no id could be read (those never
-- resolve); it is resolved when its id is in the landing of its entity, from any source.
with items as (
    select distinct
        entity,
        entity_id,
        case when entity_id is null then reason end as unidentified_reason,
        case when entity_id is null then raw end as unidentified_raw
    from read_parquet($files)
),

checked as (
    select
        case entity
            when 'classification'
                then entity_id in (
                    select landed.classification_id from landed_classification_ids as landed
                )
            when 'subject'
                then entity_id in (
                    select landed.subject_id from landed_subject_ids as landed
                )
            when 'workflow_version'
                then entity_id in (
                    select landed.workflow_version_id from landed_workflow_version_ids as landed
                )
            when 'project'
                then entity_id in (
                    select landed.project_id from landed_project_ids as landed
                )
            when 'workflow'
                then entity_id in (
                    select landed.workflow_id from landed_workflow_ids as landed
                )
        end as is_resolved
    from items
)

select
    count(*) filter (where not coalesce(is_resolved, false)) as outstanding,
    count(*) filter (where coalesce(is_resolved, false)) as resolved
from checked
