-- The $limit most classified subjects whose name or id matches $pattern ('%%': any subject).
select
    subject_id,
    iauname,
    classification_count
from subjects
where
    $pattern = '%%'
    or iauname ilike $pattern
    or subject_id::varchar like $pattern
order by classification_count desc, subject_id asc
limit $limit
