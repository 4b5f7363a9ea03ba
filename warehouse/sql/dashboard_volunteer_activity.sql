-- Per workflow and day: classifications, volunteers active that day, volunteers whose first
-- classification of the workflow it was, and anonymous classifications.
select
    workflow_id,
    classified_on,
    classifications,
    volunteers,
    new_volunteers,
    anonymous_classifications
from activity
order by classified_on, workflow_id
