-- The label columns of the zoobot table, in order: schema by schema as asked, question by
-- question as the tree walks, each question's answers and then its total. A column two
-- schemas share (the same campaign suffix) appears once per schema: the writer refuses it.
with answers as (
    select distinct
        schema_name,
        schema_position,
        question_order,
        answer_order,
        label as column_name
    from zoobot_labels
),

totals as (
    select distinct
        schema_name,
        schema_position,
        question_order,
        total_label as column_name,
        -- after every answer of the question
        cast(null as bigint) as answer_order
    from zoobot_labels
)

select
    schema_name,
    column_name
from (
    select
        schema_name,
        schema_position,
        question_order,
        answer_order,
        column_name
    from answers
    union all
    select
        schema_name,
        schema_position,
        question_order,
        answer_order,
        column_name
    from totals
) as label_columns
order by schema_position, question_order, answer_order nulls last, column_name
