-- One row per classification and annotation, labelled through the classification's own
-- workflow version, with the landed file it was read from. Incremental: each run takes the
-- classifications of every landed file it has not taken yet, whatever their ingested_at (a
-- clock stepped back, a landing copied in from another machine), plus any kept here with an
-- unknown workflow version whose version has landed since.
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            'classification_id', ['classification_id', 'annotation_index']
        ),
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}

-- not materialized: each use below filters it, and the filter must reach the landing's scan
with classifications as {{ not_materialized() }} (
    select * from {{ ref('stg_panoptes__classifications') }}
),

version_tasks as (
    select * from {{ ref('int_workflow_version_tasks') }}
),

versions as (
    select * from {{ ref('stg_panoptes__workflow_versions') }}
),

{% if is_incremental() %}
    -- the landed files derived has taken nothing of, each taken whole: what staging keeps of
    -- it (a classification's first landing; an earlier one than derived holds replaces that)
    newly_landed as (
        select * from classifications
        where {{ landed_files_not_taken() }}
    ),

    {%- if this_has_rows('not is_version_known') %}
        version_now_known as {{ materialized_cte() }} (
            select distinct waiting.classification_id
            from {{ this }} as waiting
            inner join versions
                on
                    waiting.workflow_id = versions.workflow_id
                    and waiting.workflow_major = versions.workflow_major
                    and waiting.workflow_minor = versions.workflow_minor
            where not waiting.is_version_known
        ),

        -- disjoint: rows already derived come from taken files (a union that removed
        -- duplicates would compare every column of every row: seconds at a million)
        to_derive as (
            select * from newly_landed
            union all
            select classifications.*
            from classifications
            {{ semi_join() }} version_now_known using (classification_id)
            where not ({{ landed_files_not_taken() }})
        ),
    {%- else %}
        -- no row waits for its workflow version
        to_derive as (
            select * from newly_landed
        ),
    {%- endif %}
{% else %}
    to_derive as (
        select * from classifications
    ),
{% endif %}

annotation_rows as (
    select
        classification_id,
        workflow_id,
        workflow_version,
        workflow_major,
        workflow_minor,
        subject_id,
        user_id,
        created_at,
        ingested_at,
        landed_file,
        task_keys,
        {{ unnest_with_index('annotation_list', 'annotation_index', 'annotation') }}
    from (
        select
            *,
            {{ list_map('annotation_list', 'listed', 'listed.task') }} as task_keys
        from (
            select
                *,
                {{ annotation_list('annotations') }} as annotation_list
            from to_derive
        ) as with_annotation_list
    ) as with_task_keys
),

annotations as (
    select
        classification_id,
        workflow_id,
        workflow_version,
        workflow_major,
        workflow_minor,
        subject_id,
        user_id,
        created_at,
        ingested_at,
        landed_file,
        annotation_index,
        annotation.task,
        annotation.value,
        -- a task answered again in one classification: only its first annotation counts
        -- (a list lookup, not a window over every annotation)
        coalesce(
            {{ list_index_of('task_keys', 'annotation.task') }} - 1 < annotation_index, false
        ) as is_task_answered_again
    from annotation_rows
),

known_versions as (
    select
        workflow_id,
        workflow_major,
        workflow_minor
    from versions
),

labelled as (
    select
        annotations.classification_id,
        annotations.annotation_index,
        annotations.task,
        annotations.workflow_id,
        annotations.workflow_version,
        annotations.workflow_major,
        annotations.workflow_minor,
        annotations.subject_id,
        annotations.user_id,
        annotations.created_at,
        cast(annotations.value as {{ dbt.type_string() }}) as value,
        version_tasks.task_type,
        coalesce(version_tasks.is_multiple_choice, false) as is_multiple_choice,
        version_tasks.question_text,
        {{ annotation_answer_indices('annotations.value', 'version_tasks.option_values') }}
            as answer_indices,
        version_tasks.answer_labels as version_answer_labels,
        known_versions.workflow_id is not null as is_version_known,
        annotations.is_task_answered_again,
        annotations.ingested_at,
        annotations.landed_file
    from annotations
    left join known_versions
        on
            annotations.workflow_id = known_versions.workflow_id
            and annotations.workflow_major = known_versions.workflow_major
            and annotations.workflow_minor = known_versions.workflow_minor
    left join version_tasks
        on
            annotations.workflow_id = version_tasks.workflow_id
            and annotations.workflow_major = version_tasks.workflow_major
            and annotations.workflow_minor = version_tasks.workflow_minor
            and annotations.task = version_tasks.task
),

final as (
    select
        classification_id,
        annotation_index,
        task,
        workflow_id,
        workflow_version,
        workflow_major,
        workflow_minor,
        subject_id,
        user_id,
        created_at,
        value,
        task_type,
        is_multiple_choice,
        question_text,
        answer_indices,
        is_version_known,
        is_task_answered_again,
        ingested_at,
        landed_file,
        case
            when version_answer_labels is not null
                then {{ list_map(
                    'answer_indices', 'i', list_element('version_answer_labels', 'i + 1')
                ) }}
        end as answer_labels,
        {{ run_started_timestamp() }} as _loaded_at
    from labelled
)

select * from final
