-- The subjects with at least $min_votes (and one) votes on question $question (schema
-- $schema), sorted by the vote fraction of answer $answer, or by the lower bound of its
-- interval when $by_lower_bound, highest first unless $ascending; $limit rows (all when null)
-- from $offset, each with the number of matching subjects.
with selected as (
    select
        subject_id,
        votes,
        total_votes,
        vote_fraction,
        vote_fraction_lower,
        vote_fraction_upper,
        weighted_vote_fraction,
        case when $by_lower_bound then vote_fraction_lower else vote_fraction end as sort_key
    from vote_counts
    where
        schema_name = $schema
        and question = $question
        and answer = $answer
        and total_votes >= greatest($min_votes, 1)
)

select
    selected.subject_id,
    subjects.iauname,
    subjects.ra,
    subjects.dec,
    subjects.image_url,
    selected.votes,
    selected.total_votes,
    selected.vote_fraction,
    selected.vote_fraction_lower,
    selected.vote_fraction_upper,
    selected.weighted_vote_fraction,
    count(*) over () as matching
from selected
left join subjects on selected.subject_id = subjects.subject_id
order by
    case when $ascending then selected.sort_key else -selected.sort_key end asc,
    selected.total_votes desc,
    selected.subject_id asc
limit $limit offset $offset
