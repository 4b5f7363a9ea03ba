-- Votes of a schema's workflows that map to no schema answer: older workflow versions whose
-- questions or answers differ, unknown versions, indices outside the version. They stay in
-- flat with their reason and are never counted; the warning gives their number.
{{ config(severity='warn') }}

select
    schema_name,
    workflow_id,
    workflow_version,
    task,
    answer_index,
    unmapped_reason
from {{ ref('flat') }}
where schema_name is not null and question is null
