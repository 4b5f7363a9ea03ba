-- Subject $subject_id.
select
    subject_id,
    iauname,
    ra,
    dec,
    image_url,
    classification_count,
    first_classified_at,
    last_classified_at
from subjects
where subject_id = $subject_id
