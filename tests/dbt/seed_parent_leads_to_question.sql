-- Parents of the seed question_answer_schema that the landed trees contradict: in a landed
-- workflow version that maps both a question and its seed parent_question, the parent's
-- answer parent_answer (any of its answers where parent_answer is blank) must lead to the
-- question's task, through answers' `next` links (and the task's own `next` for tasks other
-- than single choice), possibly through other tasks; a shortcut (`unlinkedTask`) or a combo's
-- task is where the task showing it is. One row per version where it does not, with the
-- tasks and why.
{{ config(severity='warn') }}

{{ with_recursive() }} parents as (
    select distinct
        schema_name,
        question,
        parent_question,
        parent_answer
    from {{ ref('question_answer_schema') }}
    where parent_question is not null
),

mapped as (
    select
        schema_name,
        workflow_id,
        workflow_major,
        workflow_minor,
        workflow_version,
        task,
        answer_index,
        question,
        answer
    from {{ ref('int_answer_mapping') }}
    where question is not null
),

question_tasks as (
    select distinct
        schema_name,
        workflow_id,
        workflow_major,
        workflow_minor,
        workflow_version,
        task,
        question
    from mapped
),

-- each version that maps both: the question's task, the parent question's task and the index
-- of parent_answer there (null when that version has no answer mapped to it)
checked as (
    select
        parents.schema_name,
        parents.question,
        parents.parent_question,
        parents.parent_answer,
        child.workflow_id,
        child.workflow_major,
        child.workflow_minor,
        child.workflow_version,
        child.task,
        parent.task as parent_task,
        parent_answer.answer_index as parent_answer_index
    from parents
    inner join question_tasks as child
        on
            parents.schema_name = child.schema_name
            and parents.question = child.question
    inner join question_tasks as parent
        on
            child.schema_name = parent.schema_name
            and child.workflow_id = parent.workflow_id
            and child.workflow_major = parent.workflow_major
            and child.workflow_minor = parent.workflow_minor
            and parents.parent_question = parent.question
    left join mapped as parent_answer
        on
            parent.schema_name = parent_answer.schema_name
            and parent.workflow_id = parent_answer.workflow_id
            and parent.workflow_major = parent_answer.workflow_major
            and parent.workflow_minor = parent_answer.workflow_minor
            and parent.task = parent_answer.task
            and parents.parent_question = parent_answer.question
            and parents.parent_answer = parent_answer.answer
),

checked_versions as (
    select distinct
        workflow_id,
        workflow_major,
        workflow_minor
    from checked
),

version_tasks as (
    select version_tasks.*
    from {{ ref('int_workflow_version_tasks') }} as version_tasks
    {{ semi_join() }} checked_versions using (workflow_id, workflow_major, workflow_minor)
),

answer_links as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        task,
        {{ unnest_with_index('answer_next', 'answer_index', 'to_task') }}
    from version_tasks
),

combo_links as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        task,
        {{ unnest_list('combo_tasks') }} as to_task
    from version_tasks
),

-- where the tasks lead: through each answer, and the task itself unless it is single choice;
-- and the tasks shown with one (its shortcut, a combo's tasks) are where it is
links as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        task as from_task,
        answer_index,
        to_task
    from answer_links
    where to_task is not null
    union all
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        task as from_task,
        null as answer_index,
        task_next as to_task
    from version_tasks
    where task_type != 'single' and task_next is not null
    union all
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        task as from_task,
        null as answer_index,
        unlinked_task as to_task
    from version_tasks
    where unlinked_task is not null
    union all
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        task as from_task,
        null as answer_index,
        to_task
    from combo_links
),

edges as (
    select distinct
        workflow_id,
        workflow_major,
        workflow_minor,
        from_task,
        to_task
    from links
),

{{ task_reachability('edges') }},

-- the tasks parent_answer leads to directly, and every task reachable from those
led_to as (
    select
        checked.schema_name,
        checked.question,
        checked.parent_question,
        checked.parent_answer,
        checked.workflow_id,
        checked.workflow_major,
        checked.workflow_minor,
        checked.parent_task,
        links.to_task
    from checked
    inner join links
        on
            checked.workflow_id = links.workflow_id
            and checked.workflow_major = links.workflow_major
            and checked.workflow_minor = links.workflow_minor
            and checked.parent_task = links.from_task
            and (
                links.answer_index is null
                or checked.parent_answer is null
                or checked.parent_answer_index = links.answer_index
            )
),

-- union (not union all): one row per task reached
reached as (
    select
        schema_name,
        question,
        parent_question,
        parent_answer,
        workflow_id,
        workflow_major,
        workflow_minor,
        parent_task,
        to_task as task
    from led_to
    union
    select
        led_to.schema_name,
        led_to.question,
        led_to.parent_question,
        led_to.parent_answer,
        led_to.workflow_id,
        led_to.workflow_major,
        led_to.workflow_minor,
        led_to.parent_task,
        reachable.to_task as task
    from led_to
    inner join reachable
        on
            led_to.workflow_id = reachable.workflow_id
            and led_to.workflow_major = reachable.workflow_major
            and led_to.workflow_minor = reachable.workflow_minor
            and led_to.to_task = reachable.from_task
),

judged as (
    select
        checked.*,
        bool_or(reached.task is not null) over (
            partition by
                checked.schema_name,
                checked.question,
                checked.parent_question,
                checked.parent_answer,
                checked.workflow_id,
                checked.workflow_major,
                checked.workflow_minor
        ) as is_led_to
    from checked
    left join reached
        on
            checked.schema_name = reached.schema_name
            and checked.question = reached.question
            and checked.parent_question = reached.parent_question
            and checked.parent_answer = reached.parent_answer
            and checked.workflow_id = reached.workflow_id
            and checked.workflow_major = reached.workflow_major
            and checked.workflow_minor = reached.workflow_minor
            and checked.parent_task = reached.parent_task
            and checked.task = reached.task
)

select
    schema_name,
    question,
    parent_question,
    parent_answer,
    workflow_id,
    workflow_version,
    task,
    parent_task,
    parent_answer_index,
    'seed says ' || parent_question || '/' || coalesce(parent_answer, '(any answer)')
    || ' leads to ' || question || ', but in workflow '
    || cast(workflow_id as {{ dbt.type_string() }}) || ' version ' || workflow_version || ' '
    || case
        when parent_answer is null
            then 'no answer of task ' || parent_task || ' leads to task ' || task
        when parent_answer_index is null
            then 'task ' || parent_task || ' has no answer mapped to ' || parent_answer
        else
            'answer ' || cast(parent_answer_index as {{ dbt.type_string() }}) || ' of task '
            || parent_task || ' does not lead to task ' || task
    end as reason
from judged
where not is_led_to
