-- Raw /classifications pages (table batch: page_number, page) to one row per classification
-- served, with its disposition:
--   land          new, of this stream ($project_id / $workflow_id);
--   reject        cannot land, with the first reason that applies;
--   repeated      served again in this batch (the first one counts);
--   seen          landed or set aside already (tables seen and landed_files; without an
--                 id, the md5 of its raw text in table seen_unidentified);
--   other_stream  of another project or workflow.
-- A page that is not JSON is one rejected row holding the whole page (whole_page true). Table
-- unreadable adds resources set aside before they reach here, with their reason.
with pages as (
    select
        page_number,
        page,
        try(from_json(page, '{"classifications": ["JSON"]}')) as body
    from batch
),

classifications as (
    select
        page_number,
        unnest(pages.body.classifications) as classification
    from pages
),

parsed as (
    select
        page_number,
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
        page_number,
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
),

served as (
    select
        page_number,
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
        classification::varchar as raw,
        false as whole_page
    from checked

    -- a page that is not JSON, and resources set aside before: only these columns
    union all by name

    select
        page_number,
        'page is not valid JSON (page ' || page_number || ' of the batch)' as reason,
        page as raw,
        true as whole_page
    from pages
    where body is null

    union all by name

    select
        page_number,
        reason,
        classification_id,
        raw,
        false as whole_page
    from unreadable
),

ranked as (
    select
        *,
        -- one landed and one set aside per id at most; without an id, one per text
        row_number() over (
            partition by
                classification_id,
                reason is null,
                case when classification_id is null then raw end
            order by page_number
        ) as nth
    from served
),

-- the ids of seen and landed_files that this batch holds: the batch is the small side of each
-- join, so DuckDB reads only the parts within the batch's ids
seen_here as (
    select seen.classification_id
    from seen
    semi join ranked using (classification_id)

    union all

    select landed_files.classification_id
    from landed_files
    semi join ranked using (classification_id)
)

select
    ranked.* exclude (nth),
    case
        when ranked.nth > 1 then 'repeated'
        when ranked.classification_id in (select seen_here.classification_id from seen_here)
            then 'seen'
        when
            md5(case when ranked.classification_id is null then ranked.raw end) in (
                select seen_unidentified.raw_md5 from seen_unidentified
            )
            then 'seen'
        when ranked.reason is not null then 'reject'
        when ranked.project_id <> $project_id or ranked.workflow_id <> $workflow_id
            then 'other_stream'
        else 'land'
    end as disposition
from ranked
