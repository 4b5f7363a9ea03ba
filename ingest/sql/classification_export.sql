-- A Lab classifications export (view export_csv) to landing rows, each with its disposition:
-- land, landed (its id is in landed_classification_ids), repeated (its id is in
-- repeated_classification_ids: the file holds it more than once) or reject (with its
-- reason). Answer labels become indices through the task maps of the row's workflow version
-- (table versions), and a dropdown's selections ({select_label, option, value, label}) the API's
-- {value, option}; the project comes from workflow_projects, else $default_project.
--
-- The linter takes the fields of a lambda's parameter (a.task) for columns of a table `a`,
-- so RF01 and RF02 are off around lambdas.
with source as (
    select * from export_csv
    -- the columns an export may lack, as nulls
    union all by name
    select
        null::varchar as user_id,
        null::varchar as metadata
    where false
),

typed as (
    select
        raw,
        user_id,
        metadata,
        classification_id as classification_id_text,
        workflow_version,
        created_at as created_at_text,
        annotations,
        parsed_id(classification_id) as classification_id_number,
        parsed_id(workflow_id) as workflow_id,
        workflow_version_number(workflow_version, 1) as major,
        workflow_version_number(workflow_version, 2) as minor,
        list_transform(
            string_split(coalesce(subject_ids, ''), ';'), lambda subject: parsed_id(subject)
        ) as subject_id_list,
        coalesce(subject_ids, '') as subject_ids_text,
        try_strptime(created_at, '%Y-%m-%d %H:%M:%S UTC') as created_at,
        coalesce(json_type(try_cast(annotations as json)) = 'ARRAY', false) as annotations_ok
    from source
),

with_versions as (
    select
        typed.*,
        versions.task_maps,
        -- each annotation with its task's definition and its value's JSON type, looked up
        -- once here rather than in every expression below; question is null when the task
        -- has no type
        -- noqa: disable=RF01,RF02
        case when typed.annotations_ok then list_transform(
            from_json(
                try_cast(typed.annotations as json), '[{"task": "VARCHAR", "value": "JSON"}]'
            ),
            lambda a: struct_pack(
                task := a.task,
                value := a.value,
                kind := json_type(a.value),
                label := case when json_type(a.value) = 'VARCHAR' then a.value ->> '$' end,
                labels := case
                    when json_type(a.value) = 'ARRAY' then from_json(a.value, '["VARCHAR"]')
                end,
                definition := versions.task_maps[a.task],
                question := versions.task_maps[a.task].task_type
                in ('single', 'multiple', 'shortcut'),
                dropdown := versions.task_maps[a.task].task_type = 'dropdown'
            )
        ) end as annotation_list
        -- noqa: enable=RF01,RF02
    from typed
    left join versions
        on
            typed.workflow_id = versions.workflow_id
            and typed.major = versions.major
            and typed.minor = versions.minor
),

checked as (
    select
        *,
        -- why each annotation cannot be mapped: a task the version lacks, a label it lacks
        -- noqa: disable=RF01,RF02
        list_filter(list_transform(annotation_list, lambda a: case
            when task_maps is null then null
            when a.definition is null
                then
                    'task ' || coalesce(a.task, '(none)') || ' is not in workflow '
                    || workflow_id || ' version ' || workflow_version
            when
                a.dropdown
                and coalesce(a.kind, 'NULL') <> 'NULL'
                and not (
                    a.kind = 'ARRAY'
                    and list_has_all(['OBJECT', 'NULL'], json_type(a.value, '$[*]'))
                )
                then
                    a.task || ' dropdown answer is not a list of selections: '
                    || left(a.value::varchar, 60)
            when not a.question then null
            when a.kind = 'VARCHAR' and a.definition.label_index[a.label] is null
                then
                    a.task || ' answer is not a label of workflow ' || workflow_id
                    || ' version ' || workflow_version || ': ' || left(a.label, 60)
            when
                a.kind = 'ARRAY'
                and list_contains(
                    list_transform(a.labels, lambda label: a.definition.label_index[label] is null),
                    true
                )
                then
                    a.task || ' answers are not all labels of workflow ' || workflow_id
                    || ' version ' || workflow_version || ': ' || left(a.value::varchar, 60)
            when a.kind not in ('VARCHAR', 'ARRAY', 'NULL')
                then a.task || ' answer is not a label: ' || left(a.value::varchar, 60)
        end), lambda problem: problem is not null) as annotation_problems,
        -- noqa: enable=RF01,RF02
        case
            when classification_id_number is null
                then
                    'classification_id is not an integer id: '
                    || coalesce(left(classification_id_text, 40), 'missing')
            when workflow_id is null then 'workflow_id is not an integer id'
            when major is null or minor is null
                then
                    'workflow_version is not major.minor: '
                    || coalesce(workflow_version, 'missing')
            when coalesce(trim(user_id), '') <> '' and parsed_id(user_id) is null
                then 'user_id is not an integer id: ' || left(user_id, 40)
            when subject_ids_text = '' then 'classification has no subject'
            when list_count(subject_id_list) < len(subject_id_list)
                then 'subject_ids holds a value that is not an integer id: ' || subject_ids_text
            when created_at is null
                then
                    'created_at is not "YYYY-MM-DD HH:MM:SS UTC": '
                    || coalesce(created_at_text, 'missing')
            when not annotations_ok then 'annotations is not a JSON list'
            when metadata is not null and try_cast(metadata as json) is null
                then 'metadata is not valid JSON'
            when task_maps is null
                then
                    'workflow ' || workflow_id || ' version ' || workflow_version
                    || ' is in neither the workflows export nor the landing'
        end as row_problem
    from with_versions
)

select
    checked.workflow_id,
    checked.workflow_version,
    checked.created_at,
    checked.classification_id_number as classification_id,
    checked.classification_id_number as entity_id,
    checked.subject_id_list as subject_ids,
    checked.raw::varchar as raw,
    'classification' as entity,
    'export' as source,
    $ingested_at as ingested_at,
    case
        when coalesce(checked.row_problem, checked.annotation_problems[1]) is not null
            then 'reject'
        when
            checked.classification_id_number in (
                select landed.classification_id from landed_classification_ids as landed
            )
            then 'landed'
        -- the file holds it more than once: one copy lands (ingest/sql/one_copy_each.sql)
        when
            checked.classification_id_number in (
                select repeated.classification_id from repeated_classification_ids as repeated
            )
            then 'repeated'
        else 'land'
    end as disposition,
    coalesce(checked.row_problem, checked.annotation_problems[1]) as reason,
    coalesce(workflow_projects.project_id, $default_project) as project_id,
    parsed_id(checked.user_id) as user_id,
    -- answer labels as indices; a dropdown's selections as the API holds them ({value,
    -- option}, a select left unanswered null); other tasks' values unchanged
    -- noqa: disable=RF01,RF02
    to_json(list_transform(checked.annotation_list, lambda a: struct_pack(
        task := a.task,
        value := case
            when a.dropdown and a.kind = 'ARRAY'
                then to_json(list_transform(
                    from_json(a.value, '["JSON"]'),
                    lambda selection: case
                        when
                            json_type(selection) = 'OBJECT'
                            and (
                                json_exists(selection, '$.value')
                                or json_exists(selection, '$.option')
                            )
                            then json_object(
                                'value', selection -> '$.value',
                                'option', selection -> '$.option'
                            )
                    end
                ))
            when not coalesce(a.question, false) then a.value
            when a.value is null or a.kind = 'NULL' then 'null'::json
            when a.kind = 'VARCHAR' then to_json(a.definition.label_index[a.label])
            when a.kind = 'ARRAY'
                then to_json(list_transform(
                    a.labels, lambda label: a.definition.label_index[label]
                ))
            else a.value
        end
    )))::varchar as annotations,
    -- noqa: enable=RF01,RF02
    coalesce(try_cast(checked.metadata as json), '{}'::json)::varchar as metadata
from checked
left join workflow_projects on checked.workflow_id = workflow_projects.workflow_id
