{#- The classifications that count, one row per (schema_name, classification_id), from a
    relation of votes, under var('repeat_classifications'):
    - first (default, as Caesar's keep_first): per logged-in volunteer and subject, within a
      schema and across its workflows, only the earliest classification counts;
    - last: only the latest counts;
    - all: every classification counts (what panoptes_aggregation 5.x does offline).
    Anonymous classifications always count: anonymous volunteers cannot be told apart. -#}
{% macro repeat_classification_filter(votes) -%}
    {%- set policy = var('repeat_classifications', 'first') -%}
    {%- if policy not in ('first', 'last', 'all') -%}
        {{ exceptions.raise_compiler_error(
            "var repeat_classifications must be first, last or all, not '" ~ policy ~ "'"
        ) }}
    {%- endif -%}
    select distinct
        schema_name,
        subject_id,
        classification_id,
        user_id,
        created_at
    from {{ votes }}
    {%- if policy != 'all' %}
        qualify
            user_id is null
            or row_number() over (
                partition by schema_name, subject_id, user_id
                order by
                    created_at {{ 'desc' if policy == 'last' else 'asc' }},
                    classification_id {{ 'desc' if policy == 'last' else 'asc' }}
            ) = 1
    {%- endif %}
{%- endmacro %}
