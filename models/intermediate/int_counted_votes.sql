-- Every counted vote: the quality filters (excluded volunteers, the date window, workflow
-- version ranges), the repeat policy (var repeat_classifications) and the first answer of each
-- question in a classification, applied here once for every model that counts (int_answer_votes,
-- volunteer weighting, the retirement replay). One row per classification and answer, narrow,
-- with whether the question was single-choice in the vote's own workflow version
-- (multiple-choice ones are left out of the consistency) and whether the row is the first of
-- its annotation (to count each classification that answered a question once).
-- Incremental (delete+insert on schema_name, subject_id, user_id, nulls equal): the repeat
-- policy only ever compares one volunteer's classifications of one subject, so a run counts
-- again only the volunteers who classified a subject anew, from their votes of that subject
-- (a volunteer new to the subject adds their votes; one who classified it before is decided
-- again, whichever classification came first), and the anonymous votes of a subject with a new
-- anonymous one; every subject of a schema whose configuration changed is counted whole. Each
-- volunteer and subject counted again also gets one row with a null question, which replaces
-- their rows when nothing of theirs counts any more and which the post-hook drop_emptied_keys
-- deletes. Nothing at all, without reading flat, when flat, the answer mapping and the
-- configurations are as the last build left them (meta skip_unchanged_inputs:
-- macros/engine/unchanged_inputs.sql).
{{
    config(
        materialized=incremental_where_supported(),
        unique_key=incremental_key(
            ['schema_name', 'subject_id', 'user_id'],
            ['schema_name', 'subject_id', 'classification_id', 'question', 'answer']
        ),
        pre_hook="{{ forget_changed_configuration() }}",
        post_hook=["{{ drop_emptied_keys('question') }}", "{{ remember_inputs() }}"],
        meta={'skip_unchanged_inputs': true, 'unique_key_nulls_equal': true},
    )
}}

-- flat is not materialized: each use filters it, and the filter must reach the scan.
with flat as {{ not_materialized() }} (
    select * from {{ ref('flat') }}
),

answer_mapping as (
    select * from {{ ref('int_answer_mapping') }}
),

configurations as (
    {{ schema_configurations() }}
),

{% if is_incremental() %}
    reconfigured_schemas as {{ materialized_cte() }} (
        {{ reconfigured_schemas('flat') }}
    ),

    -- the volunteers (user_id, null for the anonymous ones) and subjects with new votes
    new_volunteer_subjects as {{ materialized_cte() }} (
        select distinct
            flat.schema_name,
            flat.subject_id,
            flat.user_id
        from flat
        where
            flat.schema_name is not null
            and flat._loaded_at > {{ high_water_mark('_loaded_at') }}
    ),

    -- and every volunteer of every subject of a schema counted whole; apart, not an OR: the
    -- mark is a constant a scan prunes row groups by
    changed_volunteer_subjects as {{ materialized_cte() }} (
        select * from new_volunteer_subjects
        union
        select distinct
            flat.schema_name,
            flat.subject_id,
            flat.user_id
        from flat
        {{ semi_join() }} reconfigured_schemas using (schema_name)
    ),
{% endif %}

subject_votes as (
    select
        flat.schema_name,
        flat.subject_id,
        flat.classification_id,
        flat.user_id,
        flat.created_at,
        flat.workflow_id,
        flat.workflow_major,
        flat.workflow_minor,
        flat.task,
        flat.answer_index,
        flat.question,
        flat.answer,
        flat.is_answered_again
    from flat
    {% if is_incremental() %}
        {{ semi_join() }} changed_volunteer_subjects
            on
                flat.schema_name = changed_volunteer_subjects.schema_name
                and flat.subject_id = changed_volunteer_subjects.subject_id
                and {{ null_safe_equal('flat.user_id', 'changed_volunteer_subjects.user_id') }}
    {% endif %}
),

{{ counted_vote_ctes('subject_votes') }},

final as (
    select
        counted_votes.schema_name,
        counted_votes.subject_id,
        counted_votes.classification_id,
        counted_votes.workflow_id,
        counted_votes.created_at,
        counted_votes.user_id,
        counted_votes.question,
        counted_votes.answer,
        not coalesce(answer_mapping.is_multiple_choice, false) as is_single_choice,
        row_number() over (
            partition by
                counted_votes.schema_name, counted_votes.classification_id, counted_votes.question
            order by counted_votes.answer
        ) = 1 as is_first_of_annotation,
        configurations.digest as _configuration,
        {{ run_started_timestamp() }} as _loaded_at
    from counted_votes
    inner join configurations on counted_votes.schema_name = configurations.schema_name
    left join answer_mapping
        on
            counted_votes.schema_name = answer_mapping.schema_name
            and counted_votes.workflow_id = answer_mapping.workflow_id
            and counted_votes.workflow_major = answer_mapping.workflow_major
            and counted_votes.workflow_minor = answer_mapping.workflow_minor
            and counted_votes.task = answer_mapping.task
            and counted_votes.answer_index = answer_mapping.answer_index
)

select * from final
{% if is_incremental() %}
    -- one row each with a null question: replaces the rows of a volunteer nothing of whose
    -- votes of the subject counts any more (deleted by the post-hook)
    union all
    select
        new_volunteer_subjects.schema_name,
        new_volunteer_subjects.subject_id,
        cast(null as bigint) as classification_id,
        cast(null as bigint) as workflow_id,
        cast(null as timestamp) as created_at,
        new_volunteer_subjects.user_id,
        cast(null as {{ dbt.type_string() }}) as question,
        cast(null as {{ dbt.type_string() }}) as answer,
        cast(null as boolean) as is_single_choice,
        cast(null as boolean) as is_first_of_annotation,
        cast(null as {{ dbt.type_string() }}) as _configuration,
        {{ run_started_timestamp() }} as _loaded_at
    from new_volunteer_subjects
{% endif %}
