{#- Workflow versions are compared as (major, minor) integer pairs, never as numbers:
    66.1000 is later than 66.425. A bound is "major.minor" text; a null bound does not limit. -#}
{% macro version_at_least(bound, major='subject_votes.workflow_major', minor='subject_votes.workflow_minor') -%}
    ({{ bound }} is null or {{ list_of([major, minor]) }} >= {{ version_pair(bound) }})
{%- endmacro %}

{% macro version_at_most(bound, major='subject_votes.workflow_major', minor='subject_votes.workflow_minor') -%}
    ({{ bound }} is null or {{ list_of([major, minor]) }} <= {{ version_pair(bound) }})
{%- endmacro %}

{% macro version_pair(text) -%}
    {{ list_of([workflow_version_part(text, 1), workflow_version_part(text, 2)]) }}
{%- endmacro %}

{#- The major (part 1) or minor (part 2) number of a "major.minor" workflow version; null unless
    the text is exactly two ids (1 to 18 ASCII digits, no sign, space or leading zero) joined by
    one ".". The rule of the ingest's `workflow_version_number` (ingest/sql/macros.sql);
    tests/integration/test_version_rule.py holds the two to one table of inputs. -#}
{% macro workflow_version_part(text, part) -%}
    {{ return(adapter.dispatch('workflow_version_part')(text, part)) }}
{%- endmacro %}

{% macro default__workflow_version_part(text, part) -%}
    {%- set number = "split_part(" ~ text ~ ", '.', " ~ part ~ ")" -%}
    case
        when
            len(string_split({{ text }}, '.')) = 2
            and strlen({{ number }}) <= 18
            and try_cast({{ number }} as ubigint)::varchar = {{ number }}
            then try_cast({{ number }} as integer)
    end
{%- endmacro %}

{% macro spark__workflow_version_part(text, part) -%}
    {%- set number = "split(" ~ text ~ ", '[.]', -1)[" ~ (part - 1) ~ "]" -%}
    case
        when
            size(split({{ text }}, '[.]', -1)) = 2
            and {{ number }} rlike '^(0|[1-9][0-9]{0,17})$'
            then try_cast({{ number }} as int)
    end
{%- endmacro %}

{#- Whether a classification time falls in the window of vars classified_after (inclusive) and
    classified_before (exclusive); true when neither is set. -#}
{% macro classified_in_window(created_at) -%}
    {%- set conditions = [] -%}
    {%- set after, before = date_var('classified_after'), date_var('classified_before') -%}
    {%- if after -%}
        {%- do conditions.append(created_at ~ " >= cast(" ~ sql_string(after) ~ " as timestamp)") -%}
    {%- endif -%}
    {%- if before -%}
        {%- do conditions.append(created_at ~ " < cast(" ~ sql_string(before) ~ " as timestamp)") -%}
    {%- endif -%}
    ({{ conditions | join(' and ') if conditions else 'true' }})
{%- endmacro %}
