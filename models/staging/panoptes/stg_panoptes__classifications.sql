-- One row per classification: the landing deduplicated on classification_id (the same
-- classification can arrive from the API and from an export; the first landed wins), with the
-- name of the file it was landed in (landed_file), by which derived knows what it has taken.
-- Only ids landed more than once go through the window, so a filter on landed_file from a
-- caller still prunes the scan of every other row.
-- not materialized: read once per use below, so that a caller's filter reaches each scan
with landed as {{ not_materialized() }} (
    select
        *,
        {{ landed_file_name() }} as landed_file
    from {{ source('panoptes', 'classifications') }}
),

repeated_ids as (
    select classification_id
    from landed
    group by classification_id
    having count(*) > 1
),

landed_once as (
    select
        landed.*,
        1 as landing_order
    from landed
    {{ anti_join() }} repeated_ids using (classification_id)
),

repeated_landings as (
    select
        landed.*,
        row_number() over (
            partition by landed.classification_id
            order by landed.ingested_at, landed.source, landed.created_at, landed.landed_file
        ) as landing_order
    from landed
    {{ semi_join() }} repeated_ids using (classification_id)
),

deduplicated as (
    select * from landed_once
    union all
    select * from repeated_landings
    where landing_order = 1
),

final as (
    select
        classification_id,
        project_id,
        workflow_id,
        workflow_version,
        user_id,
        subject_ids,
        created_at,
        annotations,
        metadata,
        source,
        ingested_at,
        landed_file,
        {{ workflow_version_part('workflow_version', 1) }} as workflow_major,
        {{ workflow_version_part('workflow_version', 2) }} as workflow_minor,
        {{ list_element('subject_ids', 1) }} as subject_id
    from deduplicated
)

select * from final
