-- One row per task of every workflow version: its type, question text and answer labels,
-- resolved through that version's own strings (answer index i is element i + 1 of the lists).
with versions as (
    select * from {{ ref('stg_panoptes__workflow_versions') }}
),

tasks as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        workflow_version,
        tasks,
        {{ json_string_map('strings') }} as string_map,
        {{ unnest_list(json_object_keys('tasks')) }} as task
    from versions
),

definitions as (
    select
        *,
        {{ task_definition('tasks', 'task') }} as definition
    from tasks
),

resolved as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        workflow_version,
        task,
        definition.type as task_type,
        coalesce(
            string_map[coalesce(definition.question, definition.instruction)],
            definition.question,
            definition.instruction
        ) as question_text_raw,
        coalesce(
            {{ list_map(
                'definition.answers', 'answer',
                'coalesce(string_map[answer.label], answer.label)'
            ) }},
            {{ empty_list(dbt.type_string()) }}
        ) as answer_labels_raw
    from definitions
),

final as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        workflow_version,
        task,
        task_type,
        task_type in ('multiple', 'shortcut') as is_multiple_choice,
        {{ clean_label('question_text_raw') }} as question_text,
        {{ list_map('answer_labels_raw', 'label', clean_label('label')) }} as answer_labels,
        question_text_raw,
        answer_labels_raw
    from resolved
)

select * from final
