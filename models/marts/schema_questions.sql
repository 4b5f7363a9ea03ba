-- The questions and answers of each seeded schema in tree order, in the words of the workflow
-- (the seed's question_text and answer_text), with the answer that leads to each question:
-- what the dashboard's subject page and any reader of vote_counts need to say "Is the galaxy
-- simply smooth and rounded?" rather than "smooth-or-featured". Rebuilt whole when the seed
-- changed, else left alone (meta skip_unchanged_inputs: macros/engine/unchanged_inputs.sql).
{{
    config(
        materialized='table',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}
with schema_answers as (
    select * from {{ ref('int_schema_answers') }}
),

final as (
    select
        schema_name,
        question,
        question_order,
        question_text,
        answer,
        answer_order,
        answer_text,
        parent_question,
        parent_answer,
        {{ list_length('ancestors') }} as tree_depth,
        {{ run_started_timestamp() }} as _loaded_at
    from schema_answers
)

select * from final
