-- One row per classified subject: its catalogue fields and metadata, when it was first and
-- last classified and how many classifications it has (all workflows, repeats included), and
-- its retirement as Panoptes reports it: the earliest of its workflows' retirements.
-- Incremental: recomputes subjects with new classifications, a newly landed subject record or a
-- newly landed status (a subject that has just retired).
{{
    config(
        materialized=incremental_where_supported(),
        unique_key='subject_id',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true, 'publish_in_subject_buckets': true},
    )
}}

-- derived is not materialized: each use filters it, and the filter must reach the scan.
with derived as {{ not_materialized() }} (
    select * from {{ ref('derived') }}
),

subject_records as (
    select * from {{ ref('stg_panoptes__subjects') }}
),

subject_statuses as (
    select * from {{ ref('stg_panoptes__subject_workflow_statuses') }}
),

-- the earliest retirement of each subject from any workflow (null while active in every one)
ranked_retirements as (
    select
        subject_id,
        retired_at,
        retirement_reason,
        cast(sum(snapshots_landed) over (partition by subject_id) as bigint) as status_snapshots,
        max(ingested_at) over (partition by subject_id) as status_ingested_at,
        row_number() over (
            partition by subject_id
            order by retired_at asc nulls last, workflow_id asc
        ) as retirement_rank
    from subject_statuses
),

retirements as (
    select
        subject_id,
        retired_at,
        retirement_reason,
        status_ingested_at,
        status_snapshots
    from ranked_retirements
    where retirement_rank = 1
),

changed_subjects as (
    select distinct derived.subject_id
    from derived
    {% if is_incremental() %}
        where derived._loaded_at > {{ high_water_mark('_loaded_at') }}
        union
        -- a record other than the one the row was built with: told by its landed file, not
        -- by its ingested_at (a file landed late may hold a subject's first record)
        select subject_records.subject_id
        from subject_records
        {{ anti_join() }} (
            select
                previous_runs.subject_id,
                previous_runs.subject_landed_file as landed_file
            from {{ this }} as previous_runs
        ) as built_records using (subject_id, landed_file)
        union
        -- a status snapshot landed since the row was built: told by the number landed (the
        -- landing only grows), not by their ingested_at
        select retirements.subject_id
        from retirements
        {{ anti_join() }} (
            select
                previous_runs.subject_id,
                previous_runs.status_snapshots
            from {{ this }} as previous_runs
        ) as built_statuses using (subject_id, status_snapshots)
    {% endif %}
),

classification_stats as (
    select
        derived.subject_id,
        min(derived.created_at) as first_classified_at,
        max(derived.created_at) as last_classified_at,
        count(distinct derived.classification_id) as classification_count,
        {{ sorted_set_agg('derived.workflow_id') }} as workflow_ids
    from derived
    {{ semi_join() }} changed_subjects using (subject_id)
    group by derived.subject_id
),

final as (
    select
        classification_stats.subject_id,
        subject_records.project_id,
        subject_records.iauname,
        subject_records.ra,
        subject_records.dec,
        subject_records.image_url,
        subject_records.metadata,
        subject_records.locations,
        classification_stats.first_classified_at,
        classification_stats.last_classified_at,
        classification_stats.classification_count,
        classification_stats.workflow_ids,
        retirements.retired_at,
        retirements.retirement_reason,
        subject_records.ingested_at as subject_ingested_at,
        subject_records.landed_file as subject_landed_file,
        retirements.status_ingested_at,
        retirements.status_snapshots,
        {{ run_started_timestamp() }} as _loaded_at
    from classification_stats
    left join subject_records using (subject_id)
    left join retirements using (subject_id)
)

select * from final
