-- The votes for subject $subject_id question by question in tree order, in the workflow's
-- words, with the answer that leads to each question.
select
    vote_counts.schema_name,
    vote_counts.question,
    vote_counts.answer,
    vote_counts.question_order,
    vote_counts.answer_order,
    schema_questions.question_text,
    schema_questions.answer_text,
    schema_questions.parent_question,
    schema_questions.parent_answer,
    schema_questions.tree_depth,
    vote_counts.votes,
    vote_counts.total_votes,
    vote_counts.vote_fraction,
    vote_counts.vote_fraction_lower,
    vote_counts.vote_fraction_upper,
    vote_counts.weighted_vote_fraction
from vote_counts
left join schema_questions
    on
        vote_counts.schema_name = schema_questions.schema_name
        and vote_counts.question = schema_questions.question
        and vote_counts.answer = schema_questions.answer
where vote_counts.subject_id = $subject_id
order by vote_counts.schema_name, vote_counts.question_order, vote_counts.answer_order
