-- Which schema question and answer each answer index of each workflow version means.
-- A task of a version maps to a schema question by its cleaned question text (or a question
-- alias), and only if every one of its answers maps to a distinct answer of that question by
-- cleaned label (or an answer alias). Otherwise all its answers stay unmapped, with the reason:
-- a vote is never counted under an answer it did not mean, and a question whose answers
-- changed meaning between versions is never half counted.
--
-- Panoptes bumps the major version when tasks change; a minor version only edits text. So
-- within one major version, a task maps the way the newest minor version of that major whose
-- own labels map it fully maps it (by task key and answer index), provided the task has the
-- same type and number of answers there: a typo fixed in 16.56 does not leave 16.55's votes
-- unmapped, nor the reverse. Across major versions mapping stays by label.
with version_tasks as (
    select * from {{ ref('int_workflow_version_tasks') }}
),

workflow_schema as (
    select * from {{ ref('workflow_schema') }}
),

schema_answers as (
    select
        schema_name,
        question,
        answer,
        {{ clean_label('question_text') }} as question_text,
        {{ clean_label('answer_text') }} as answer_text
    from {{ ref('question_answer_schema') }}
),

aliases as (
    select
        schema_name,
        label_kind,
        {{ clean_label('label') }} as label,
        question,
        answer
    from {{ ref('label_aliases') }}
),

schema_tasks as (
    select
        version_tasks.*,
        workflow_schema.schema_name
    from version_tasks
    inner join workflow_schema using (workflow_id)
    where
        version_tasks.task_type in ('single', 'multiple', 'shortcut')
        or version_tasks.is_fixed_option_dropdown
),

questions_by_text as (
    select
        schema_name,
        question_text,
        min(question) as question,
        count(distinct question) as n_questions
    from schema_answers
    group by schema_name, question_text
),

task_questions as (
    select
        schema_tasks.*,
        coalesce(
            question_aliases.question,
            case when questions_by_text.n_questions = 1 then questions_by_text.question end
        ) as question,
        coalesce(questions_by_text.n_questions, 0) > 1
        and question_aliases.question is null as is_question_ambiguous
    from schema_tasks
    left join aliases as question_aliases
        on
            schema_tasks.schema_name = question_aliases.schema_name
            and question_aliases.label_kind = 'question'
            and schema_tasks.question_text = question_aliases.label
    left join questions_by_text
        on
            schema_tasks.schema_name = questions_by_text.schema_name
            and schema_tasks.question_text = questions_by_text.question_text
),

version_answers as (
    select
        schema_name,
        workflow_id,
        workflow_major,
        workflow_minor,
        workflow_version,
        task,
        task_type,
        is_multiple_choice,
        question_text,
        question,
        is_question_ambiguous,
        {{ unnest_with_index('answer_labels', 'answer_index', 'answer_label') }}
    from task_questions
),

answers_by_text as (
    select
        schema_name,
        question,
        answer_text,
        min(answer) as answer,
        count(*) as n_answers
    from schema_answers
    group by schema_name, question, answer_text
),

matched as (
    select
        version_answers.*,
        coalesce(
            answer_aliases.answer,
            case when answers_by_text.n_answers = 1 then answers_by_text.answer end
        ) as matched_answer
    from version_answers
    left join aliases as answer_aliases
        on
            version_answers.schema_name = answer_aliases.schema_name
            and answer_aliases.label_kind = 'answer'
            and version_answers.question = answer_aliases.question
            and version_answers.answer_label = answer_aliases.label
    left join answers_by_text
        on
            version_answers.schema_name = answers_by_text.schema_name
            and version_answers.question = answers_by_text.question
            and version_answers.answer_label = answers_by_text.answer_text
),

-- per version task: how many of its answers found no schema answer (and which), and whether
-- two of them found the same one
task_matches as (
    select
        schema_name,
        workflow_id,
        workflow_major,
        workflow_minor,
        task,
        count(*) as n_answers,
        count(distinct matched_answer) as n_matched_answers,
        count_if(matched_answer is null) as n_unmatched,
        {{ ordered_string_agg(
            "case when matched_answer is null then coalesce(answer_label, '(none)') end",
            "', '", 'answer_index'
        ) }} as unmatched_labels
    from matched
    group by schema_name, workflow_id, workflow_major, workflow_minor, task
),

judged as (
    select
        matched.*,
        case
            when matched.is_question_ambiguous
                then
                    'question text matches several schema questions: '
                    || coalesce(matched.question_text, '(none)')
            when matched.question is null
                then 'question not in schema: ' || coalesce(matched.question_text, '(none)')
            when task_matches.n_unmatched > 0
                then
                    'answers not in schema question ' || matched.question || ': '
                    || task_matches.unmatched_labels
            when task_matches.n_matched_answers < task_matches.n_answers
                then 'several answers map to one answer of schema question ' || matched.question
        end as unmapped_reason
    from matched
    inner join task_matches
        on
            matched.schema_name = task_matches.schema_name
            and matched.workflow_id = task_matches.workflow_id
            and matched.workflow_major = task_matches.workflow_major
            and matched.workflow_minor = task_matches.workflow_minor
            and matched.task = task_matches.task
),

-- each version task's own result: its type, number of answers, whether its own labels map it
-- fully, and its own texts (to tell a text edit from a new meaning)
own_results as (
    select
        schema_name,
        workflow_id,
        workflow_major,
        workflow_minor,
        task,
        task_type,
        count(*) as n_answers,
        count_if(unmapped_reason is not null) = 0 as is_fully_mapped,
        min(question_text) as question_text,
        min(question) as question,
        {{ ordered_list_agg("coalesce(answer_label, '')", 'answer_index') }} as answer_labels
    from judged
    group by schema_name, workflow_id, workflow_major, workflow_minor, task, task_type
),

newest_fully_mapped as (
    select
        schema_name,
        workflow_id,
        workflow_major,
        task,
        max(workflow_minor) as workflow_minor
    from own_results
    where is_fully_mapped
    group by schema_name, workflow_id, workflow_major, task
),

-- the minor version of the same major whose labels each version task maps by: the newest that
-- maps it fully, when the task has the same type and number of answers there, and the edit
-- between the two is of the question's text or of its answers' labels, not of both (in
-- workflow 6122, 66.405 asked T11 with other answers under another question than 66.425:
-- a new meaning, left to its own labels)
mapping_sources as (
    select
        own_results.schema_name,
        own_results.workflow_id,
        own_results.workflow_major,
        own_results.workflow_minor,
        own_results.task,
        newest.workflow_minor as mapping_minor
    from own_results
    inner join newest_fully_mapped
        on
            own_results.schema_name = newest_fully_mapped.schema_name
            and own_results.workflow_id = newest_fully_mapped.workflow_id
            and own_results.workflow_major = newest_fully_mapped.workflow_major
            and own_results.task = newest_fully_mapped.task
    inner join own_results as newest
        on
            newest_fully_mapped.schema_name = newest.schema_name
            and newest_fully_mapped.workflow_id = newest.workflow_id
            and newest_fully_mapped.workflow_major = newest.workflow_major
            and newest_fully_mapped.workflow_minor = newest.workflow_minor
            and newest_fully_mapped.task = newest.task
    where
        own_results.task_type = newest.task_type
        and own_results.n_answers = newest.n_answers
        and (
            own_results.question_text = newest.question_text
            or own_results.question = newest.question
            or own_results.answer_labels = newest.answer_labels
        )
),

final as (
    select
        judged.schema_name,
        judged.workflow_id,
        judged.workflow_major,
        judged.workflow_minor,
        judged.workflow_version,
        judged.task,
        judged.task_type,
        judged.is_multiple_choice,
        judged.answer_index,
        judged.question_text,
        judged.answer_label,
        case
            when labels_source.schema_name is null then judged.unmapped_reason
        end as unmapped_reason,
        case
            when labels_source.schema_name is not null then labels_source.question
            when judged.unmapped_reason is null then judged.question
        end as question,
        case
            when labels_source.schema_name is not null then labels_source.matched_answer
            when judged.unmapped_reason is null then judged.matched_answer
        end as answer,
        case
            when labels_source.schema_name is not null then labels_source.workflow_minor
            when judged.unmapped_reason is null then judged.workflow_minor
        end as mapping_minor
    from judged
    left join mapping_sources
        on
            judged.schema_name = mapping_sources.schema_name
            and judged.workflow_id = mapping_sources.workflow_id
            and judged.workflow_major = mapping_sources.workflow_major
            and judged.workflow_minor = mapping_sources.workflow_minor
            and judged.task = mapping_sources.task
    left join judged as labels_source
        on
            mapping_sources.schema_name = labels_source.schema_name
            and mapping_sources.workflow_id = labels_source.workflow_id
            and mapping_sources.workflow_major = labels_source.workflow_major
            and mapping_sources.mapping_minor = labels_source.workflow_minor
            and mapping_sources.task = labels_source.task
            and judged.answer_index = labels_source.answer_index
)

select * from final
