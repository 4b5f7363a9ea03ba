-- For a question every workflow version asks as single choice, the answer fractions of a
-- subject sum to 1 whenever someone answered it. Checks the subjects this build recomputed
-- (every subject with test_all_rows).
with multiple_choice_questions as (
    select distinct
        schema_name,
        question
    from {{ ref('int_answer_mapping') }}
    where is_multiple_choice and question is not null
),

sums as (
    select
        vote_counts.schema_name,
        vote_counts.subject_id,
        vote_counts.question,
        sum(vote_counts.vote_fraction) as fraction_sum
    from {{ ref('vote_counts') }} as vote_counts
    {{ anti_join() }} multiple_choice_questions using (schema_name, question)
    where vote_counts.total_votes > 0 and {{ new_rows_filter(ref('vote_counts')) }}
    group by vote_counts.schema_name, vote_counts.subject_id, vote_counts.question
)

select *
from sums
where abs(fraction_sum - 1) > 1e-9
