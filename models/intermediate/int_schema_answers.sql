-- The seeded question/answer schemas with their order and tree: one row per answer, in seed
-- order, with the chain of (question, answer) pairs a volunteer must have given to be asked
-- this question, nearest first (empty for a question asked at the root).
{{ with_recursive() }} seed as (
    select
        *,
        {{ seed_row_order() }} as seed_row
    from {{ ref('question_answer_schema') }}
),

questions as (
    select
        schema_name,
        question,
        min(seed_row) as first_row,
        any_value(parent_question) as parent_question,
        any_value(parent_answer) as parent_answer
    from seed
    group by schema_name, question
),

{{ question_ancestry('questions') }},

ancestors as (
    select
        schema_name,
        question,
        {{ ordered_list_agg(
            make_struct({'question': 'ancestor_question', 'answer': 'ancestor_answer'}),
            'depth'
        ) }} as ancestors
    from ancestry
    group by schema_name, question
),

final as (
    select
        seed.schema_name,
        seed.question,
        seed.answer,
        seed.question_text,
        seed.answer_text,
        seed.answer_index,
        seed.parent_question,
        seed.parent_answer,
        dense_rank() over (
            partition by seed.schema_name order by questions.first_row
        ) as question_order,
        row_number() over (
            partition by seed.schema_name, seed.question order by seed.seed_row
        ) as answer_order,
        coalesce(
            ancestors.ancestors,
            {{ empty_list(question_answer_pair_type()) }}
        ) as ancestors
    from seed
    inner join questions
        on seed.schema_name = questions.schema_name and seed.question = questions.question
    left join ancestors
        on seed.schema_name = ancestors.schema_name and seed.question = ancestors.question
)

select * from final
