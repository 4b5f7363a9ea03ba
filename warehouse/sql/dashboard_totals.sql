-- Subjects, classifications, and subjects with at least $retirement_count classifications.
select
    count(*) as subjects,
    coalesce(sum(classification_count), 0) as classifications,
    count(*) filter (where classification_count >= $retirement_count) as retired
from subjects
