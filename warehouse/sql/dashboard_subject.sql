-- Subject $subject_id.
select
    subject_id,
    project_id,
    iauname,
    ra,
    dec,
    image_url,
    locations,
    classification_count,
    workflow_ids,
    first_classified_at,
    last_classified_at,
    retired_at,
    retirement_reason
from subjects
where subject_id = $subject_id
