-- Per answer of question $question (schema $schema), how many subjects have a vote fraction in
-- each of $bins equal bins of [0, 1].
select
    answer,
    answer_order,
    least(floor(vote_fraction * $bins), $bins - 1)::int as bin,
    count(*) as subjects
from vote_counts
where
    schema_name = $schema
    and question = $question
    and vote_fraction is not null
group by all
