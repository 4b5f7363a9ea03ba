-- The votes for subject $subject_id, question by question.
select
    schema_name,
    question,
    answer,
    votes,
    total_votes,
    vote_fraction,
    vote_fraction_lower,
    vote_fraction_upper
from vote_counts
where subject_id = $subject_id
order by schema_name, question_order, answer_order
