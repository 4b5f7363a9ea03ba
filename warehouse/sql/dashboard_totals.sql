-- Subjects and their classifications.
select
    count(*) as subjects,
    coalesce(sum(classification_count), 0) as classifications
from subjects
