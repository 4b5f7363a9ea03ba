-- What ingest set aside and has not landed since by any path: the latest rejection of each
-- item. An item is one (entity, entity_id), or one (entity, reason, raw) when no id could be
-- read (an unreadable CSV line, a page that was not JSON): those can never be matched, so they
-- stay until someone deals with them. An item is resolved when its id is in the landing of
-- its entity, from any source. ingest/sql/outstanding_rejections.sql counts by the same rule
-- for the ingest summaries, which are current as soon as an ingest run ends; this table is what
-- the last build saw, rebuilt by a build after anything landed (meta skip_unchanged_inputs).
{{
    config(
        materialized='table',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

with rejections as (
    select
        *,
        case when entity_id is null then reason end as unidentified_reason,
        case when entity_id is null then raw end as unidentified_raw
    from {{ ref('stg_panoptes__rejected') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by entity, entity_id, unidentified_reason, unidentified_raw
            order by ingested_at desc
        ) as rejection_rank,
        min(ingested_at) over (
            partition by entity, entity_id, unidentified_reason, unidentified_raw
        ) as first_rejected_at,
        count(*) over (
            partition by entity, entity_id, unidentified_reason, unidentified_raw
        ) as times_rejected
    from rejections
),

latest as (
    select * from ranked
    where rejection_rank = 1
),

landed_ids as (
    select
        'classification' as entity,
        classification_id as entity_id
    from {{ ref('stg_panoptes__classifications') }}
    union all
    select
        'subject' as entity,
        subject_id as entity_id
    from {{ ref('stg_panoptes__subjects') }}
    union all
    select
        'workflow_version' as entity,
        workflow_version_id as entity_id
    from {{ ref('stg_panoptes__workflow_versions') }}
    where workflow_version_id is not null
    union all
    select
        'project' as entity,
        project_id as entity_id
    from {{ ref('stg_panoptes__projects') }}
    union all
    select
        'workflow' as entity,
        workflow_id as entity_id
    from {{ ref('stg_panoptes__workflows') }}
),

outstanding as (
    select latest.*
    from latest
    {{ anti_join() }} landed_ids
        on
            latest.entity = landed_ids.entity
            and latest.entity_id = landed_ids.entity_id
),

final as (
    select
        entity,
        entity_id,
        project_id,
        workflow_id,
        source,
        reason,
        first_rejected_at,
        ingested_at as last_rejected_at,
        times_rejected,
        raw,
        {{ run_started_timestamp() }} as _loaded_at
    from outstanding
)

select * from final
