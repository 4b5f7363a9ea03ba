-- The questions of schema $schema in order, each with its answers in order.
select
    question,
    list(answer order by answer_order) as answers
from (
    select distinct
        question,
        question_order,
        answer,
        answer_order
    from vote_counts
    where schema_name = $schema
) as schema_answers
group by question, question_order
order by question_order
