-- One row per task of every workflow version: its type, question text and answer labels,
-- resolved through that version's own strings (answer index i is element i + 1 of the lists),
-- and where its answers and the task lead (`next`, and the tasks shown with it). A dropdown
-- task with fixed options (one select, no values of the volunteer's own, one option list
-- whatever was chosen before) is a single-choice question: its answers are the options, in
-- order, and its question the select's title (else the instruction); any other dropdown has
-- no answers. A shortcut without a question is asked as "<the question showing it> (shortcut)".
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

selects as (
    select
        *,
        {{ list_element('definition.selects', 1) }} as first_select,
        {{ list_element('definition.selects', 2) }} is null as has_one_select
    from definitions
),

dropdowns as (
    select
        *,
        coalesce(
            definition.type = 'dropdown'
            and has_one_select
            and not coalesce(first_select.allowcreate, false)
            and {{ list_element('map_keys(first_select.options)', 2) }} is null
            and first_select.options['*'] is not null,
            false
        ) as is_fixed_option_dropdown
    from selects
),

resolved as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        workflow_version,
        task,
        definition.type as task_type,
        is_fixed_option_dropdown,
        case
            when is_fixed_option_dropdown
                then coalesce(
                    nullif(coalesce(string_map[first_select.title], first_select.title), ''),
                    string_map[definition.instruction],
                    definition.instruction
                )
            else coalesce(
                string_map[coalesce(definition.question, definition.instruction)],
                definition.question,
                definition.instruction
            )
        end as question_text_raw,
        case
            when is_fixed_option_dropdown
                then {{ list_map(
                    "first_select.options['*']", 'choice',
                    'coalesce(string_map[choice.label], choice.label)'
                ) }}
            else coalesce(
                {{ list_map(
                    'definition.answers', 'answer',
                    'coalesce(string_map[answer.label], answer.label)'
                ) }},
                {{ empty_list(dbt.type_string()) }}
            )
        end as answer_labels_raw,
        case
            when is_fixed_option_dropdown
                then {{ list_map("first_select.options['*']", 'choice', 'choice.value') }}
        end as option_values,
        coalesce(
            {{ list_map('definition.answers', 'answer', 'answer.next') }},
            {{ empty_list(dbt.type_string()) }}
        ) as answer_next,
        definition.next as task_next,
        definition.unlinkedtask as unlinked_task,
        coalesce(definition.tasks, {{ empty_list(dbt.type_string()) }}) as combo_tasks
    from dropdowns
),

-- the question each shortcut is shown with (its `unlinkedTask` link)
shown_with as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        unlinked_task as task,
        min(question_text_raw) as question_text_raw
    from resolved
    where unlinked_task is not null
    group by workflow_id, workflow_major, workflow_minor, unlinked_task
),

-- a shortcut has no question of its own: it is asked as the question that shows it, followed
-- by " (shortcut)" (gz-warehouse schema init names it so too)
asked as (
    select
        resolved.workflow_id,
        resolved.workflow_major,
        resolved.workflow_minor,
        resolved.workflow_version,
        resolved.task,
        resolved.task_type,
        resolved.answer_labels_raw,
        resolved.is_fixed_option_dropdown,
        resolved.option_values,
        resolved.answer_next,
        resolved.task_next,
        resolved.unlinked_task,
        resolved.combo_tasks,
        case
            when
                resolved.task_type = 'shortcut'
                and coalesce(resolved.question_text_raw, '') = ''
                then shown_with.question_text_raw || ' (shortcut)'
            else resolved.question_text_raw
        end as question_text_raw
    from resolved
    left join shown_with
        on
            resolved.workflow_id = shown_with.workflow_id
            and resolved.workflow_major = shown_with.workflow_major
            and resolved.workflow_minor = shown_with.workflow_minor
            and resolved.task = shown_with.task
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
        answer_labels_raw,
        is_fixed_option_dropdown,
        option_values,
        answer_next,
        task_next,
        unlinked_task,
        combo_tasks
    from asked
)

select * from final
