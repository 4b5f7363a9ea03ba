-- One row per vote: each distinct answer chosen in an annotation, with the schema's question
-- and answer it means. A null answer gives no vote; a vote that cannot be mapped keeps null
-- question and answer and says why. Incremental on what derived loaded since the last run.
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            'classification_id', ['classification_id', 'task', 'answer_index', 'schema_name']
        ),
    )
}}

with annotations as (
    select * from {{ ref('derived') }}
    {% if is_incremental() %}
        where derived._loaded_at > {{ high_water_mark('_loaded_at') }}
    {% endif %}
),

answer_mapping as (
    select * from {{ ref('int_answer_mapping') }}
),

workflow_schema as (
    select * from {{ ref('workflow_schema') }}
),

votes as (
    select
        classification_id,
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
        answer_labels,
        answer_indices,
        {{ unnest_list(list_unique('answer_indices')) }} as answer_index
    from annotations
),

mapped as (
    select
        votes.classification_id,
        votes.created_at,
        votes.workflow_id,
        votes.workflow_version,
        votes.workflow_major,
        votes.workflow_minor,
        votes.subject_id,
        votes.user_id,
        votes.task,
        votes.answer_index,
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
        *,
        {{ run_started_timestamp() }} as _loaded_at
    from mapped
)

select * from final
