-- Every landed annotation (one classification x one task), for each schema its workflow feeds,
-- accounted for exactly once: `counted`, or the first reason it is not, in this order:
-- version not landed, feeds no schema, unmapped (task not in its workflow version), not a
-- question (the task type in outcome_detail), answered again (a task, or a schema question,
-- answered a second time inside one classification: the first counts), outside version range,
-- excluded volunteer, outside date window, no answer (null or an empty selection), unmapped
-- (the reason in outcome_detail), repeat classification (var repeat_classifications).
-- Per subject and question, the counted annotations are vote_counts.total_votes.
-- Incremental: recomputes the subjects with newly derived annotations and every subject of
-- the workflow versions whose mapping or counting configuration changed.
-- Built after int_volunteer_weights (depends_on below), not beside it: the queries over
-- every vote of a full build share one memory limit, and two at once ran out of it at 4M votes.
-- depends_on: {{ ref('int_volunteer_weights') }}
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            'subject_id',
            ['subject_id', 'schema_name', 'workflow_id', 'workflow_version', 'question',
             'outcome', 'outcome_detail']
        ),
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true, 'publish_in_subject_buckets': true},
    )
}}

-- not materialized: each use below filters them, and the filter must reach the scan
with derived as {{ not_materialized() }} (
    select * from {{ ref('derived') }}
),

flat as {{ not_materialized() }} (
    select * from {{ ref('flat') }}
),

workflow_schema as (
    select * from {{ ref('workflow_schema') }}
),

excluded_volunteers as (
    select * from {{ ref('excluded_volunteers') }}
),

-- the tasks each schema's workflow versions ask as questions (mapped or not)
question_tasks as (
    select distinct
        schema_name,
        workflow_id,
        workflow_major,
        workflow_minor,
        task
    from {{ ref('int_answer_mapping') }}
),

mapping_configurations as (
    {{ mapping_configurations() }}
),

workflow_configurations as (
    {{ workflow_configurations() }}
),

-- per workflow major version: what decides the outcomes of its annotations
version_configurations as (
    select
        versions.workflow_id,
        versions.workflow_major,
        md5(
            {{ mapping_configuration() }} || ':'
            || coalesce(workflow_configurations.digest, {{ no_schema_configuration() }})
        ) as digest
    -- the versions of every annotation accounted so far, and of those derived since: no scan
    -- of all of derived on an incremental run
    from (
        select distinct
            derived.workflow_id,
            derived.workflow_major
        from derived
        {% if is_incremental() %}
            where derived._loaded_at > {{ high_water_mark('_loaded_at') }}
            union
            select
                previous_runs.workflow_id,
                previous_runs.workflow_major
            from {{ this }} as previous_runs
        {% endif %}
    ) as versions
    {{ join_mapping_configurations('versions', 'mapping_configurations') }}
    left join workflow_configurations
        on versions.workflow_id = workflow_configurations.workflow_id
),

{% if is_incremental() %}
    changed_versions as {{ materialized_cte() }} (
        select distinct
            built.workflow_id,
            built.workflow_major
        from {{ this }} as built
        inner join version_configurations
            on
                built.workflow_id = version_configurations.workflow_id
                and built.workflow_major = version_configurations.workflow_major
        where built._configuration != version_configurations.digest
    ),

    changed_subjects as (
        select derived.subject_id
        from derived
        where derived._loaded_at > {{ high_water_mark('_loaded_at') }}
        union
        select derived.subject_id
        from derived
        {{ semi_join() }} changed_versions using (workflow_id, workflow_major)
    ),

    annotations as (
        select derived.*
        from derived
        {{ semi_join() }} changed_subjects using (subject_id)
    ),

    subject_votes as (
        select flat.*
        from flat
        {{ semi_join() }} changed_subjects using (subject_id)
        where flat.schema_name is not null
    ),
{% else %}
    annotations as (
        select * from derived
    ),

    subject_votes as (
        select * from flat
        where flat.schema_name is not null
    ),
{% endif %}

-- the classifications counted (int_counted_votes: the quality filters and the repeat policy,
-- applied once). It holds those with a counted vote: one the policy keeps without any has no
-- annotation that gets as far as `repeat classification` or `counted`
counted_classifications as (
    select distinct
        counted.schema_name,
        counted.classification_id
    from {{ ref('int_counted_votes') }} as counted
    {% if is_incremental() %}
        {{ semi_join() }} changed_subjects using (subject_id)
    {% endif %}
),

-- per annotation and schema: its votes
annotation_votes as (
    select
        subject_votes.schema_name,
        subject_votes.classification_id,
        subject_votes.annotation_index,
        min(subject_votes.question) as question,
        bool_or(subject_votes.is_answered_again) as is_answered_again,
        bool_or(subject_votes.question is not null) as is_mapped,
        min(subject_votes.unmapped_reason) as unmapped_reason
    from subject_votes
    group by
        subject_votes.schema_name,
        subject_votes.classification_id,
        subject_votes.annotation_index
),

annotation_schemas as (
    select
        annotations.*,
        workflow_schema.schema_name,
        workflow_schema.min_workflow_version,
        workflow_schema.max_workflow_version
    from annotations
    left join workflow_schema
        on annotations.workflow_id = workflow_schema.workflow_id
),

judged as (
    select
        annotation_schemas.schema_name,
        annotation_schemas.workflow_id,
        annotation_schemas.workflow_version,
        annotation_schemas.workflow_major,
        annotation_schemas.subject_id,
        annotation_votes.question,
        case
            when not annotation_schemas.is_version_known then 'version not landed'
            when annotation_schemas.schema_name is null then 'feeds no schema'
            when annotation_schemas.task_type is null then 'unmapped'
            when question_tasks.task is null then 'not a question'
            when
                annotation_schemas.is_task_answered_again
                or annotation_votes.is_answered_again
                then 'answered again'
            when not (
                {{ version_at_least(
                    'annotation_schemas.min_workflow_version',
                    'annotation_schemas.workflow_major', 'annotation_schemas.workflow_minor'
                ) }}
                and {{ version_at_most(
                    'annotation_schemas.max_workflow_version',
                    'annotation_schemas.workflow_major', 'annotation_schemas.workflow_minor'
                ) }}
            ) then 'outside version range'
            when excluded_volunteers.user_id is not null then 'excluded volunteer'
            when not {{ classified_in_window('annotation_schemas.created_at') }}
                then 'outside date window'
            when annotation_votes.classification_id is null then 'no answer'
            when not annotation_votes.is_mapped then 'unmapped'
            when counted_classifications.classification_id is null then 'repeat classification'
            else 'counted'
        end as outcome,
        annotation_schemas.task_type,
        annotation_votes.unmapped_reason
    from annotation_schemas
    left join question_tasks
        on
            annotation_schemas.schema_name = question_tasks.schema_name
            and annotation_schemas.workflow_id = question_tasks.workflow_id
            and annotation_schemas.workflow_major = question_tasks.workflow_major
            and annotation_schemas.workflow_minor = question_tasks.workflow_minor
            and annotation_schemas.task = question_tasks.task
    left join annotation_votes
        on
            annotation_schemas.schema_name = annotation_votes.schema_name
            and annotation_schemas.classification_id = annotation_votes.classification_id
            and annotation_schemas.annotation_index = annotation_votes.annotation_index
    left join excluded_volunteers
        on annotation_schemas.user_id = excluded_volunteers.user_id
    left join counted_classifications
        on
            annotation_schemas.schema_name = counted_classifications.schema_name
            and annotation_schemas.classification_id = counted_classifications.classification_id
),

-- what `unmapped` and `not a question` stand for
explained as (
    select
        *,
        case
            when outcome = 'not a question' then task_type
            when outcome = 'unmapped'
                then coalesce(unmapped_reason, 'task not in workflow version')
        end as outcome_detail
    from judged
),

final as (
    select
        judged.schema_name,
        judged.workflow_id,
        judged.workflow_version,
        judged.workflow_major,
        judged.subject_id,
        judged.question,
        judged.outcome,
        judged.outcome_detail,
        count(*) as annotations,
        version_configurations.digest as _configuration,
        {{ run_started_timestamp() }} as _loaded_at
    from explained as judged
    left join version_configurations
        on
            judged.workflow_id = version_configurations.workflow_id
            and judged.workflow_major = version_configurations.workflow_major
    group by
        judged.schema_name,
        judged.workflow_id,
        judged.workflow_version,
        judged.workflow_major,
        judged.subject_id,
        judged.question,
        judged.outcome,
        judged.outcome_detail,
        version_configurations.digest
)

select * from final
