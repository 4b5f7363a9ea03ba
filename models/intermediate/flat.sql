-- One row per vote: each distinct answer chosen in an annotation, with the schema's question
-- and answer it means. A null answer gives no vote; a vote that cannot be mapped keeps null
-- question and answer and says why. A task answered again inside one classification (or a
-- second task meaning the same schema question) keeps its votes here, flagged
-- is_answered_again: only the first annotation counts, as panoptes_aggregation's extractor
-- keeps. Incremental on what derived loaded since the last run, and on every vote of the
-- workflow versions whose answer mapping changed since (macros/votes/configuration.sql).
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            'classification_id',
            ['classification_id', 'annotation_index', 'answer_index', 'schema_name']
        ),
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

-- not materialized: each use below filters it, and the filter must reach the scan
with derived as {{ not_materialized() }} (
    select * from {{ ref('derived') }}
),

answer_mapping as (
    select * from {{ ref('int_answer_mapping') }}
),

workflow_schema as (
    select * from {{ ref('workflow_schema') }}
),

configurations as (
    {{ mapping_configurations() }}
),

{% if is_incremental() %}
    -- workflow major versions whose votes were mapped by a configuration that is no longer
    -- theirs (a seed changed, or a minor version landed that changes how the major maps)
    changed_versions as {{ materialized_cte() }} (
        select
            built.workflow_id,
            built.workflow_major
        from (
            select distinct
                previous_runs.workflow_id,
                previous_runs.workflow_major,
                previous_runs._configuration
            from {{ this }} as previous_runs
        ) as built
        {{ join_mapping_configurations('built', 'configurations') }}
        where built._configuration != {{ mapping_configuration() }}
    ),

    -- disjoint: what derived loaded since the last run, and the older annotations of the
    -- workflow versions whose mapping changed
    annotations as (
        select * from derived
        where derived._loaded_at > {{ high_water_mark('_loaded_at') }}
        union all
        select * from derived
        {{ semi_join() }} changed_versions using (workflow_id, workflow_major)
        where derived._loaded_at <= {{ high_water_mark('_loaded_at') }}
    ),
{% else %}
    annotations as (
        select * from derived
    ),
{% endif %}

votes as (
    select
        classification_id,
        annotation_index,
        created_at,
        workflow_id,
        workflow_version,
        workflow_major,
        workflow_minor,
        subject_id,
        user_id,
        task,
        task_type,
        is_version_known,
        is_task_answered_again,
        answer_labels,
        answer_indices,
        {{ unnest_list(list_unique('answer_indices')) }} as answer_index
    from annotations
),

mapped as (
    select
        votes.classification_id,
        votes.annotation_index,
        votes.created_at,
        votes.workflow_id,
        votes.workflow_version,
        votes.workflow_major,
        votes.workflow_minor,
        votes.subject_id,
        votes.user_id,
        votes.task,
        votes.answer_index,
        votes.is_task_answered_again,
        workflow_schema.schema_name,
        answer_mapping.question,
        answer_mapping.answer,
        {{ list_element(
            'votes.answer_labels', list_index_of('votes.answer_indices', 'votes.answer_index')
        ) }} as answer_label,
        case
            when workflow_schema.schema_name is null then 'workflow feeds no schema'
            when not votes.is_version_known then 'unknown workflow version'
            when votes.task_type is null then 'task not in workflow version'
            when answer_mapping.answer_index is null then 'answer index not in workflow version'
            else answer_mapping.unmapped_reason
        end as unmapped_reason
    from votes
    left join workflow_schema
        on votes.workflow_id = workflow_schema.workflow_id
    left join answer_mapping
        on
            workflow_schema.schema_name = answer_mapping.schema_name
            and votes.workflow_id = answer_mapping.workflow_id
            and votes.workflow_major = answer_mapping.workflow_major
            and votes.workflow_minor = answer_mapping.workflow_minor
            and votes.task = answer_mapping.task
            and votes.answer_index = answer_mapping.answer_index
),

final as (
    select
        mapped.classification_id,
        mapped.annotation_index,
        mapped.created_at,
        mapped.workflow_id,
        mapped.workflow_version,
        mapped.workflow_major,
        mapped.workflow_minor,
        mapped.subject_id,
        mapped.user_id,
        mapped.task,
        mapped.answer_index,
        mapped.schema_name,
        mapped.question,
        mapped.answer,
        mapped.answer_label,
        mapped.unmapped_reason,
        mapped.is_task_answered_again
        or (
            mapped.question is not null
            and mapped.annotation_index > min(mapped.annotation_index) over (
                partition by mapped.classification_id, mapped.schema_name, mapped.question
            )
        ) as is_answered_again,
        {{ mapping_configuration() }} as _configuration,
        {{ run_started_timestamp() }} as _loaded_at
    from mapped
    {{ join_mapping_configurations('mapped', 'configurations') }}
)

select * from final
