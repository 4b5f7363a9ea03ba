-- Subject $subject_id's classifications per workflow and day.
select
    workflow_id,
    classified_on,
    classifications
from activity
where subject_id = $subject_id
order by classified_on, workflow_id
