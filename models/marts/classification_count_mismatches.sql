-- Per subject and workflow, where the classifications landed differ in number from Panoptes'
-- own count (the latest landed subject workflow status). Landed fewer means classifications
-- are missing from the landing, unless Panoptes counted them after the newest landed
-- classification of the workflow (made since the run streamed them: the next run lands them).
-- Landed more is expected: Panoptes' retirement counter leaves out gold-standard, seen-before,
-- incomplete and pre-launch classifications. Only workflows with landed statuses are compared:
-- without them Panoptes' counts are unknown, not zero.
-- Rebuilt whole when a file of its landings has landed since the last build, and left alone
-- otherwise (meta skip_unchanged_inputs: macros/engine/unchanged_inputs.sql).
{{
    config(
        materialized='table',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

with classifications as (
    select * from {{ ref('stg_panoptes__classifications') }}
),

statuses as (
    select * from {{ ref('stg_panoptes__subject_workflow_statuses') }}
),

compared_workflows as (
    select distinct workflow_id
    from statuses
),

-- a classification counts for every subject it names, as Panoptes counts it
classified_subjects as (
    select
        classifications.classification_id,
        classifications.project_id,
        classifications.workflow_id,
        classifications.created_at,
        {{ unnest_list('classifications.subject_ids') }} as subject_id
    from classifications
    {{ semi_join() }} compared_workflows using (workflow_id)
),

landed_counts as (
    select
        subject_id,
        workflow_id,
        max(project_id) as project_id,
        count(distinct classification_id) as landed_classifications
    from classified_subjects
    group by subject_id, workflow_id
),

-- the newest landed classification of each workflow
landing_horizons as (
    select
        workflow_id,
        max(created_at) as newest_landed_at
    from classified_subjects
    group by workflow_id
),

compared as (
    select
        statuses.retired_at,
        statuses.retirement_reason,
        statuses.updated_at as status_updated_at,
        statuses.ingested_at as status_ingested_at,
        coalesce(statuses.subject_id, landed_counts.subject_id) as subject_id,
        coalesce(statuses.workflow_id, landed_counts.workflow_id) as workflow_id,
        coalesce(statuses.project_id, landed_counts.project_id) as project_id,
        coalesce(landed_counts.landed_classifications, 0) as landed_classifications,
        coalesce(statuses.classifications_count, 0) as panoptes_classifications
    from statuses
    full outer join landed_counts
        on
            statuses.subject_id = landed_counts.subject_id
            and statuses.workflow_id = landed_counts.workflow_id
),

mismatches as (
    select
        compared.*,
        compared.landed_classifications - compared.panoptes_classifications as difference,
        case
            when compared.landed_classifications < compared.panoptes_classifications
                then 'landed fewer'
            else 'landed more'
        end as direction,
        case
            when compared.landed_classifications > compared.panoptes_classifications
                then 'not counted by Panoptes'
            when compared.status_updated_at > landing_horizons.newest_landed_at
                then 'not landed yet'
            else 'missing'
        end as reason
    from compared
    left join landing_horizons
        on compared.workflow_id = landing_horizons.workflow_id
    where compared.landed_classifications != compared.panoptes_classifications
),

final as (
    select
        subject_id,
        workflow_id,
        project_id,
        landed_classifications,
        panoptes_classifications,
        difference,
        direction,
        reason,
        retired_at,
        retirement_reason,
        status_updated_at,
        status_ingested_at,
        {{ run_started_timestamp() }} as _loaded_at
    from mismatches
)

select * from final
