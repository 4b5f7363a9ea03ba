-- Every subject with coordinates, and the vote fraction of answer $answer of question $question
-- (schema $schema): null when the subject has fewer than $min_votes votes on the question.
with selected as (
    select
        subject_id,
        vote_fraction,
        total_votes
    from vote_counts
    where
        schema_name = $schema
        and question = $question
        and answer = $answer
)

select
    subjects.subject_id,
    subjects.iauname,
    subjects.ra,
    subjects.dec,
    coalesce(selected.total_votes, 0) as total_votes,
    case
        when coalesce(selected.total_votes, 0) >= greatest($min_votes, 1)
            then selected.vote_fraction
    end as vote_fraction
from subjects
left join selected on subjects.subject_id = selected.subject_id
where subjects.ra is not null and subjects.dec is not null
order by subjects.subject_id
