-- Raw /classifications pages (table batch: page_number, page) to one row per classification
-- with its disposition: land, reject (with the first reason that applies), already_landed (id
-- at or below $after_id) or other_stream (not $project_id / $workflow_id). A page that is not
-- JSON is one rejected row holding the whole page.
with pages as (
    select
        page_number,
        page,
        try(from_json(page, '{"classifications": ["JSON"]}')) as body
    from batch
),

classifications as (
    select unnest(pages.body.classifications) as classification
    from pages
),

parsed as (
    select
        classification,
        json_transform(
            classification,
            '{"id": "VARCHAR", "created_at": "VARCHAR", "annotations": "JSON", '
            || '"metadata": "JSON", "links": {"project": "VARCHAR", "user": "VARCHAR", '
            || '"workflow": "VARCHAR", "subjects": ["VARCHAR"]}}'
        ) as r
    from classifications
),

typed as (
    select
        classification,
        r,
        parsed_id(r.id) as classification_id,
        parsed_id(r.links.project) as project_id,
        parsed_id(r.links.workflow) as workflow_id,
        parsed_id(r.links.user) as user_id,
        list_transform(r.links.subjects, lambda subject: parsed_id(subject)) as subject_ids,
        parsed_timestamp(r.created_at) as created_at
    from parsed
),

checked as (
    select
        *,
        case
            when not starts_with(classification, '{')
                then 'classification is not an object'
            when classification_id is null
                then 'id is not an integer id: ' || coalesce(left(r.id, 40), 'missing')
            when project_id is null
                then
                    'links.project is not an integer id: '
                    || coalesce(left(r.links.project, 40), 'missing')
            when workflow_id is null
                then
                    'links.workflow is not an integer id: '
                    || coalesce(left(r.links.workflow, 40), 'missing')
            when r.links.user is not null and user_id is null
                then 'links.user is not an integer id: ' || left(r.links.user, 40)
            when coalesce(len(subject_ids), 0) = 0
                then 'classification has no subject'
            when list_count(subject_ids) < len(subject_ids)
                then 'links.subjects holds a value that is not an integer id'
            when created_at is null
                then
                    'created_at is not a timestamp: '
                    || coalesce(left(r.created_at, 40), 'missing')
            when not coalesce(starts_with(r.annotations, '['), false)
                then 'annotations is not a list'
            when not coalesce(starts_with(r.metadata, '{'), false)
                then 'metadata is not an object'
        end as reason
    from typed
)

select -- noqa: AM07
    case
        when reason is not null then 'reject'
        when project_id <> $project_id or workflow_id <> $workflow_id then 'other_stream'
        when classification_id <= $after_id then 'already_landed'
        else 'land'
    end as disposition,
    reason,
    classification_id,
    project_id,
    workflow_id,
    json_extract_string(r.metadata, '$.workflow_version') as workflow_version,
    user_id,
    subject_ids,
    created_at,
    r.annotations::varchar as annotations,
    r.metadata::varchar as metadata,
    classification::varchar as raw
from checked

-- a page that is not JSON: only these columns, the others null
union all by name

select
    'reject' as disposition,
    'page is not valid JSON (page ' || page_number || ' of the batch)' as reason,
    page as raw
from pages
where body is null
