-- Rows of the seed retirement_rules that cannot be replayed, with why: a kind that needs a
-- question (answer_count, consensus) or an answer (answer_count) without one, an answer the
-- question does not have, a threshold out of range for its kind, min_classifications on a kind
-- that does not read it, and a rule whose workflow feeds no schema, or more than one schema
-- holding its question (a rule reads exactly one schema).
with rules as (
    select * from {{ ref('retirement_rules') }}
),

schema_answers as (
    select * from {{ ref('int_schema_answers') }}
),

-- the schemas each rule can read: its workflow's, holding its question (any, without one)
rule_schemas as (
    select
        rules.workflow_id,
        rules.rule_name,
        count(distinct workflow_schema.schema_name) as schema_count,
        count(distinct case
            when rules.question is null or schema_answers.question is not null
                then workflow_schema.schema_name
        end) as schemas_with_question,
        count(distinct case
            when schema_answers.answer = rules.answer then workflow_schema.schema_name
        end) as schemas_with_answer
    from rules
    left join {{ ref('workflow_schema') }} as workflow_schema
        on rules.workflow_id = workflow_schema.workflow_id
    left join schema_answers
        on
            workflow_schema.schema_name = schema_answers.schema_name
            and rules.question = schema_answers.question
    group by rules.workflow_id, rules.rule_name
),

judged as (
    select
        rules.workflow_id,
        rules.rule_name,
        rules.kind,
        rules.question,
        rules.answer,
        rules.threshold,
        rules.min_classifications,
        case
            when rule_schemas.schema_count = 0 then 'workflow feeds no schema (workflow_schema)'
            when rules.kind in ('answer_count', 'consensus') and rules.question is null
                then rules.kind || ' needs a question'
            when rules.kind = 'answer_count' and rules.answer is null
                then 'answer_count needs an answer'
            when rules.kind != 'answer_count' and rules.answer is not null
                then rules.kind || ' reads no answer'
            when rule_schemas.schemas_with_question = 0
                then 'question not in the schema of the workflow'
            when rule_schemas.schemas_with_question > 1
                then 'question in more than one schema of the workflow'
            when rules.kind = 'answer_count' and rule_schemas.schemas_with_answer = 0
                then 'answer not an answer of the question'
            when
                rules.kind in ('classification_count', 'answer_count')
                and (rules.threshold < 1 or rules.threshold != floor(rules.threshold))
                then rules.kind || ' threshold must be a whole number of at least 1'
            when rules.kind = 'consensus' and (rules.threshold <= 0 or rules.threshold > 1)
                then 'consensus threshold must be above 0 and at most 1'
            when rules.kind != 'consensus' and rules.min_classifications is not null
                then rules.kind || ' reads no min_classifications'
            when rules.min_classifications < 1 then 'min_classifications must be at least 1'
        end as reason
    from rules
    inner join rule_schemas
        on rules.workflow_id = rule_schemas.workflow_id and rules.rule_name = rule_schemas.rule_name
)

select * from judged
where reason is not null
