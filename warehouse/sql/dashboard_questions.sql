-- The questions of schema $schema in tree order, each answer in order, in the workflow's words.
select
    question,
    question_text,
    answer,
    answer_text
from schema_questions
where schema_name = $schema
order by question_order, answer_order
