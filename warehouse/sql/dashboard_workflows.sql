-- The project's workflows (mart workflows): names, versions, retirement rules and retirement.
select
    project_id,
    project_name,
    project_slug,
    workflow_id,
    workflow_name,
    workflow_version,
    active,
    retirement_criteria,
    retirement_count,
    subjects,
    classifications,
    retired_subjects,
    retirement_source
from workflows
order by workflow_id
