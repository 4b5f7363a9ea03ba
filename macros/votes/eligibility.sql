{#- The votes of `votes` (a relation named subject_votes, with flat's columns) that pass the
    quality filters, applied before counting and before the repeat policy: the workflow's
    version range in workflow_schema, the seed excluded_volunteers and the date window of vars
    classified_after / classified_before. -#}
{% macro eligible_votes(votes='subject_votes') -%}
    select {{ votes }}.*
    from {{ votes }}
    inner join {{ ref('workflow_schema') }} as workflow_schema
        on
            {{ votes }}.schema_name = workflow_schema.schema_name
            and {{ votes }}.workflow_id = workflow_schema.workflow_id
    where
        {{ version_at_least('workflow_schema.min_workflow_version',
            votes ~ '.workflow_major', votes ~ '.workflow_minor') }}
        and {{ version_at_most('workflow_schema.max_workflow_version',
            votes ~ '.workflow_major', votes ~ '.workflow_minor') }}
        and {{ classified_in_window(votes ~ '.created_at') }}
        and ({{ votes }}.user_id is null or {{ votes }}.user_id not in (
            select excluded.user_id from {{ ref('excluded_volunteers') }} as excluded
        ))
{%- endmacro %}

{#- The CTEs `eligible_votes`, `counted_classifications` and `counted_votes` over `votes`:
    the votes that count (the quality filters, the repeat policy, a classification's first
    answer of each question), as int_counted_votes keeps them for every model that counts.
    Used inside a `with` list, followed by a comma. -#}
{% macro counted_vote_ctes(votes='subject_votes') -%}
eligible_votes as {{ not_materialized() }} (
    {{ eligible_votes(votes) }}
),

counted_classifications as (
    {{ repeat_classification_filter('eligible_votes') }}
),

counted_votes as (
    select eligible_votes.*
    from eligible_votes
    {{ semi_join() }} counted_classifications using (schema_name, classification_id)
    where eligible_votes.question is not null and not eligible_votes.is_answered_again
)
{%- endmacro %}
