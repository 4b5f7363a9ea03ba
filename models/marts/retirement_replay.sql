-- What the retirement rules of the seed retirement_rules would have done: one row per rule and
-- subject with a counted classification in the rule's workflow. Each subject's counted
-- classifications of that workflow (the eligibility filters and the repeat policy, as
-- int_answer_votes counts them: classifications with at least one counted vote) are replayed
-- in (created_at, classification_id) order; the rule retires the subject at the first one
-- after which it holds:
-- - classification_count: at least `threshold` classifications so far;
-- - answer_count: at least `threshold` of them voted `answer` of `question`;
-- - consensus: at least `min_classifications` (at least 1) of them answered `question`, and its
--   leading answer has at least `threshold` of those votes.
-- For the rule's question (the schema's first question when it has none) the leading answer
-- (most votes, ties broken by seed order) at retirement and at the end, and the largest
-- absolute change of any of its answers' vote fractions between the two.
-- Incremental: replays the subjects with new votes in the schemas of the rules' workflows, and
-- every subject of a workflow whose rules or counting configuration changed
-- (macros/votes/retirement_rules.sql).
-- Built after vote_accounting (depends_on below), not beside it: the queries over
-- every vote of a full build share one memory limit, and two at once ran out of it at 4M votes.
-- depends_on: {{ ref('vote_accounting') }}
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            ['schema_name', 'subject_id'], ['workflow_id', 'rule_name', 'subject_id']
        ),
        pre_hook=[
            "{{ forget_changed_retirement_rules() }}",
            "{{ forget_replayed_subjects_with_new_votes() }}",
        ],
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true, 'publish_in_subject_buckets': true},
    )
}}

-- flat is not materialized: each use filters it, and the filter must reach the scan.
with flat as {{ not_materialized() }} (
    select * from {{ ref('flat') }}
),

schema_answers as (
    select * from {{ ref('int_schema_answers') }}
),

configurations as (
    {{ retirement_rule_configurations() }}
),

schema_questions as (
    select distinct
        schema_name,
        question,
        question_order
    from schema_answers
),

-- each rule with the schema it reads and its question (the schema's first, without one)
rules as (
    select
        retirement_rules.workflow_id,
        retirement_rules.rule_name,
        retirement_rules.kind,
        retirement_rules.threshold,
        workflow_schema.schema_name,
        schema_questions.question,
        retirement_rules.answer as rule_answer,
        configurations.digest as _configuration,
        coalesce(retirement_rules.min_classifications, 1) as min_classifications
    from {{ ref('retirement_rules') }} as retirement_rules
    inner join {{ ref('workflow_schema') }} as workflow_schema
        on retirement_rules.workflow_id = workflow_schema.workflow_id
    inner join schema_questions
        on
            workflow_schema.schema_name = schema_questions.schema_name
            and (
                retirement_rules.question = schema_questions.question
                or (retirement_rules.question is null and schema_questions.question_order = 1)
            )
    inner join configurations
        on retirement_rules.workflow_id = configurations.workflow_id
),

-- the questions the rules read, each once: rules on one question share its tallies
rule_questions as (
    select distinct
        schema_name,
        workflow_id,
        question
    from rules
),

rule_schemas as (
    select distinct schema_name from rules
),

{% if is_incremental() %}
    -- rule workflows this model holds no row of (new, or forgotten by the pre-hook)
    reconfigured_schemas as (
        select distinct rules.schema_name
        from rules
        where rules.workflow_id not in (select distinct built.workflow_id from {{ this }} as built)
    ),
{% endif %}

-- the subjects to replay, in every rule workflow of their schema: the repeat policy picks a
-- volunteer's classification across the schema's workflows
changed_subjects as (
    select distinct
        flat.schema_name,
        flat.subject_id
    from flat
    where flat.schema_name in (select rule_schemas.schema_name from rule_schemas)
    {% if is_incremental() %}
        and flat._loaded_at > {{ high_water_mark('_loaded_at') }}
        -- apart, not an OR: the mark is a constant a scan prunes row groups by
        union
        {{ subjects_of_reconfigured_schemas('flat') }}
    {% endif %}
),

-- the counted votes of those subjects (int_counted_votes: the quality filters, the repeat
-- policy across the schema's workflows, the first answer of each question)
counted_votes as (
    select
        counted.schema_name,
        counted.subject_id,
        counted.workflow_id,
        counted.classification_id,
        counted.created_at,
        counted.question,
        counted.answer
    from {{ ref('int_counted_votes') }} as counted
    {{ semi_join() }} changed_subjects using (schema_name, subject_id)
),

-- each subject's counted classifications of each workflow, numbered in replay order
replayed as (
    select
        schema_name,
        subject_id,
        workflow_id,
        classification_id,
        created_at,
        row_number() over (
            partition by schema_name, subject_id, workflow_id
            order by created_at, classification_id
        ) as step,
        count(*) over (partition by schema_name, subject_id, workflow_id) as classifications
    from (
        select distinct
            schema_name,
            subject_id,
            workflow_id,
            classification_id,
            created_at
        from counted_votes
    ) as classifications
),

-- (read from counted_votes, not narrowed to the rules' questions by a join: at 4M votes the
-- narrowed form ran out of the 3.5 GB memory limit where this one needs under 1.5 GB)
classification_answers as (
    select distinct
        schema_name,
        classification_id,
        question,
        answer
    from counted_votes
),

classification_questions as (
    select distinct
        schema_name,
        classification_id,
        question
    from counted_votes
),

-- per rule question, subject, step and answer: did that classification answer the question,
-- and vote that answer
step_answers as (
    select
        rule_questions.workflow_id,
        rule_questions.question,
        replayed.subject_id,
        replayed.step,
        schema_answers.answer,
        schema_answers.answer_order,
        case when classification_answers.answer is null then 0 else 1 end as voted,
        case when classification_questions.question is null then 0 else 1 end as answered
    from rule_questions
    inner join replayed
        on
            rule_questions.schema_name = replayed.schema_name
            and rule_questions.workflow_id = replayed.workflow_id
    inner join schema_answers
        on
            rule_questions.schema_name = schema_answers.schema_name
            and rule_questions.question = schema_answers.question
    left join classification_answers
        on
            replayed.schema_name = classification_answers.schema_name
            and replayed.classification_id = classification_answers.classification_id
            and schema_answers.question = classification_answers.question
            and schema_answers.answer = classification_answers.answer
    left join classification_questions
        on
            replayed.schema_name = classification_questions.schema_name
            and replayed.classification_id = classification_questions.classification_id
            and schema_answers.question = classification_questions.question
),

-- the votes of each answer, and the classifications that answered the question, so far. Not
-- materialized: read twice below, and DuckDB keeps a CTE read twice whole, which at 4M votes
-- held more than the 3.5 GB limit (the build after a seed change ran out of memory, alone);
-- computed twice, each pass streams (15.6 s, within 2.5 GB).
tallies as {{ not_materialized() }} (
    select
        workflow_id,
        question,
        subject_id,
        step,
        answer,
        answer_order,
        sum(voted) over (
            partition by workflow_id, question, subject_id, answer
            order by step
            rows between unbounded preceding and current row
        ) as votes,
        sum(answered) over (
            partition by workflow_id, question, subject_id, answer
            order by step
            rows between unbounded preceding and current row
        ) as answered
    from step_answers
),

question_steps as (
    select
        workflow_id,
        question,
        subject_id,
        step,
        max(answered) as answered,
        max(votes) as leading_votes
    from tallies
    group by workflow_id, question, subject_id, step
),

step_states as (
    select
        rules.workflow_id,
        rules.rule_name,
        question_steps.subject_id,
        question_steps.step,
        question_steps.answered,
        question_steps.leading_votes,
        rule_answer_tallies.votes as answer_votes
    from rules
    inner join question_steps
        on rules.workflow_id = question_steps.workflow_id and rules.question = question_steps.question
    left join tallies as rule_answer_tallies
        on
            rules.workflow_id = rule_answer_tallies.workflow_id
            and rules.question = rule_answer_tallies.question
            and rules.rule_answer = rule_answer_tallies.answer
            and question_steps.subject_id = rule_answer_tallies.subject_id
            and question_steps.step = rule_answer_tallies.step
),

retirements as (
    select
        step_states.workflow_id,
        step_states.rule_name,
        step_states.subject_id,
        min(step_states.step) as retired_step
    from step_states
    inner join rules
        on step_states.workflow_id = rules.workflow_id and step_states.rule_name = rules.rule_name
    where
        case rules.kind
            when 'classification_count' then step_states.step >= rules.threshold
            when 'answer_count' then step_states.answer_votes >= rules.threshold
            when 'consensus'
                then
                    step_states.answered >= rules.min_classifications
                    and step_states.answered > 0
                    and cast(step_states.leading_votes as double) / step_states.answered
                    >= rules.threshold
            else false
        end
    group by step_states.workflow_id, step_states.rule_name, step_states.subject_id
),

subject_rules as (
    select
        rules.workflow_id,
        rules.rule_name,
        rules.schema_name,
        rules.kind,
        rules.question,
        rules._configuration,
        replayed.subject_id,
        replayed.classifications,
        retirements.retired_step,
        retired_classification.created_at as retired_at
    from rules
    inner join replayed
        on
            rules.schema_name = replayed.schema_name
            and rules.workflow_id = replayed.workflow_id
            and replayed.step = 1
    left join retirements
        on
            rules.workflow_id = retirements.workflow_id
            and rules.rule_name = retirements.rule_name
            and replayed.subject_id = retirements.subject_id
    left join replayed as retired_classification
        on
            replayed.schema_name = retired_classification.schema_name
            and replayed.subject_id = retired_classification.subject_id
            and replayed.workflow_id = retired_classification.workflow_id
            and retirements.retired_step = retired_classification.step
),

-- each answer's vote fraction at retirement and at the end, and its rank by votes then seed
-- order (only where the question had been answered)
moments as (
    select
        subject_rules.workflow_id,
        subject_rules.rule_name,
        subject_rules.subject_id,
        tallies.answer,
        case when tallies.step = subject_rules.retired_step then 1 else 0 end as is_retirement,
        case when tallies.step = subject_rules.classifications then 1 else 0 end as is_end,
        cast(tallies.votes as double) / nullif(tallies.answered, 0) as vote_fraction,
        case when tallies.answered > 0 then tallies.answer end as answered_answer,
        row_number() over (
            partition by
                subject_rules.workflow_id, subject_rules.rule_name, subject_rules.subject_id,
                tallies.step
            order by tallies.votes desc, tallies.answer_order asc
        ) as answer_rank
    from subject_rules
    inner join tallies
        on
            subject_rules.workflow_id = tallies.workflow_id
            and subject_rules.question = tallies.question
            and subject_rules.subject_id = tallies.subject_id
            and (
                subject_rules.retired_step = tallies.step
                or subject_rules.classifications = tallies.step
            )
),

answer_changes as (
    select
        workflow_id,
        rule_name,
        subject_id,
        answer,
        max(case when is_retirement = 1 and answer_rank = 1 then answered_answer end)
            as leading_answer_at_retirement,
        max(case when is_end = 1 and answer_rank = 1 then answered_answer end)
            as leading_answer_at_end,
        abs(
            max(case when is_end = 1 then vote_fraction end)
            - max(case when is_retirement = 1 then vote_fraction end)
        ) as fraction_change
    from moments
    group by workflow_id, rule_name, subject_id, answer
),

subject_changes as (
    select
        workflow_id,
        rule_name,
        subject_id,
        max(leading_answer_at_retirement) as leading_answer_at_retirement,
        max(leading_answer_at_end) as leading_answer_at_end,
        max(fraction_change) as fraction_change
    from answer_changes
    group by workflow_id, rule_name, subject_id
),

final as (
    select
        subject_rules.subject_id,
        subject_rules.workflow_id,
        subject_rules.rule_name,
        subject_rules.schema_name,
        subject_rules.kind,
        subject_rules.question,
        subject_rules.retired_step is not null as retired,
        cast(subject_rules.retired_step as bigint) as retired_after_classifications,
        subject_rules.retired_at,
        cast(subject_rules.classifications as bigint) as classifications,
        cast(
            subject_rules.classifications - coalesce(subject_rules.retired_step, subject_rules.classifications)
            as bigint
        ) as classifications_after_retirement,
        subject_changes.leading_answer_at_retirement,
        subject_changes.leading_answer_at_end,
        subject_changes.fraction_change,
        subject_rules._configuration,
        {{ run_started_timestamp() }} as _loaded_at
    from subject_rules
    left join subject_changes
        on
            subject_rules.workflow_id = subject_changes.workflow_id
            and subject_rules.rule_name = subject_changes.rule_name
            and subject_rules.subject_id = subject_changes.subject_id
)

select * from final
