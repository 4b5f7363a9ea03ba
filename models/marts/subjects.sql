-- One row per classified subject: its catalogue fields and metadata, when it was first and
-- last classified and how many classifications it has (all workflows, repeats included).
-- Incremental: recomputes subjects with new classifications or a newly landed subject record.
{{
    config(
        materialized=incremental_where_supported(),
        unique_key='subject_id',
    )
}}

-- derived is not materialized: each use filters it, and the filter must reach the scan.
with derived as {{ not_materialized() }} (
    select * from {{ ref('derived') }}
),

subject_records as (
    select * from {{ ref('stg_panoptes__subjects') }}
),

changed_subjects as (
    select distinct derived.subject_id
    from derived
    {% if is_incremental() %}
        where derived._loaded_at > {{ high_water_mark('_loaded_at') }}
        union
        select subject_records.subject_id
        from subject_records
        where subject_records.ingested_at > {{ high_water_mark('subject_ingested_at') }}
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
        subject_records.ingested_at as subject_ingested_at,
        {{ run_started_timestamp() }} as _loaded_at
    from classification_stats
    left join subject_records using (subject_id)
)

select * from final
