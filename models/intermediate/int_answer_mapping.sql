-- Which schema question and answer each answer index of each workflow version means.
-- A task of a version maps to a schema question by its cleaned question text (or a question
-- alias), and only if every one of its answers maps to a distinct answer of that question by
-- cleaned label (or an answer alias). Otherwise all its answers stay unmapped, with the reason:
-- a vote is never counted under an answer it did not mean, and a question whose answers
-- changed meaning between versions is never half counted.
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
    where version_tasks.task_type in ('single', 'multiple', 'shortcut')
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

final as (
    select
        schema_name,
        workflow_id,
        workflow_major,
        workflow_minor,
        workflow_version,
        task,
        task_type,
        is_multiple_choice,
        answer_index,
        question_text,
        answer_label,
        unmapped_reason,
        case when unmapped_reason is null then question end as question,
        case when unmapped_reason is null then matched_answer end as answer
    from judged
)

select * from final
