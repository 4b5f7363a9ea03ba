{#- Workflow versions are compared as (major, minor) integer pairs, never as numbers:
    66.1000 is later than 66.425. A bound is "major.minor" text; a null bound does not limit. -#}
{% macro version_at_least(bound, major='subject_votes.workflow_major', minor='subject_votes.workflow_minor') -%}
    ({{ bound }} is null or {{ list_of([major, minor]) }} >= {{ version_pair(bound) }})
{%- endmacro %}

{% macro version_at_most(bound, major='subject_votes.workflow_major', minor='subject_votes.workflow_minor') -%}
    ({{ bound }} is null or {{ list_of([major, minor]) }} <= {{ version_pair(bound) }})
{%- endmacro %}

{% macro version_pair(text) -%}
    {{ list_of([
        'try_cast(split_part(' ~ text ~ ", '.', 1) as integer)",
        'try_cast(split_part(' ~ text ~ ", '.', 2) as integer)",
    ]) }}
{%- endmacro %}

{#- Whether a classification time falls in the window of vars classified_after (inclusive) and
    classified_before (exclusive); true when neither is set. -#}
{% macro classified_in_window(created_at) -%}
    {%- set conditions = [] -%}
    {%- if var('classified_after', none) -%}
        {%- do conditions.append(created_at ~ " >= cast(" ~ sql_string(var('classified_after')) ~ " as timestamp)") -%}
    {%- endif -%}
    {%- if var('classified_before', none) -%}
        {%- do conditions.append(created_at ~ " < cast(" ~ sql_string(var('classified_before')) ~ " as timestamp)") -%}
    {%- endif -%}
    ({{ conditions | join(' and ') if conditions else 'true' }})
{%- endmacro %}
