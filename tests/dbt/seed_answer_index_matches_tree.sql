-- Answer indices of the seed question_answer_schema that the landed trees contradict: the seed
-- says an answer is index i of its question, yet no landed workflow version of the schema has
-- that answer at index i. Only where the seed gives an index and some landed version maps the
-- question at all; one row per such version (and task), with what it has instead.
{{ config(severity='warn') }}

with seed as (
    select
        schema_name,
        question,
        answer,
        answer_index
    from {{ ref('question_answer_schema') }}
    where answer_index is not null
),

mapped as (
    select
        schema_name,
        workflow_id,
        workflow_version,
        task,
        question,
        answer,
        answer_index
    from {{ ref('int_answer_mapping') }}
    where question is not null
),

-- seed answers some landed version has at the seed's index
borne_out as (
    select distinct
        seed.schema_name,
        seed.question,
        seed.answer
    from seed
    inner join mapped
        on
            seed.schema_name = mapped.schema_name
            and seed.question = mapped.question
            and seed.answer = mapped.answer
            and seed.answer_index = mapped.answer_index
),

unconfirmed as (
    select seed.*
    from seed
    {{ anti_join() }} borne_out using (schema_name, question, answer)
),

asking_versions as (
    select distinct
        schema_name,
        workflow_id,
        workflow_version,
        task,
        question
    from mapped
),

contradicted as (
    select
        unconfirmed.schema_name,
        unconfirmed.question,
        unconfirmed.answer,
        unconfirmed.answer_index as seed_answer_index,
        asking_versions.workflow_id,
        asking_versions.workflow_version,
        asking_versions.task,
        version_answer.answer_index as version_answer_index
    from unconfirmed
    inner join asking_versions
        on
            unconfirmed.schema_name = asking_versions.schema_name
            and unconfirmed.question = asking_versions.question
    left join mapped as version_answer
        on
            asking_versions.schema_name = version_answer.schema_name
            and asking_versions.workflow_id = version_answer.workflow_id
            and asking_versions.workflow_version = version_answer.workflow_version
            and asking_versions.task = version_answer.task
            and unconfirmed.answer = version_answer.answer
)

select
    schema_name,
    question,
    answer,
    seed_answer_index,
    workflow_id,
    workflow_version,
    task,
    version_answer_index,
    'seed gives answer_index ' || cast(seed_answer_index as {{ dbt.type_string() }})
    || ' to ' || question || '/' || answer || ', but workflow '
    || cast(workflow_id as {{ dbt.type_string() }}) || ' version ' || workflow_version
    || ' task ' || task || coalesce(
        ' has it at index ' || cast(version_answer_index as {{ dbt.type_string() }}),
        ' has no answer mapped to it'
    ) || ' (and no landed version has it at the seed''s index)' as reason
from contradicted
