{#- The classifications that count, one row per (schema_name, classification_id), from a
    relation of votes, under var('repeat_classifications'):
    - first (default, as Caesar's keep_first): per logged-in volunteer and subject, within a
      schema and across its workflows, only the earliest classification counts (ties broken
      by the smaller classification id);
    - last: only the latest counts;
    - all: every classification counts (what panoptes_aggregation 5.x does offline).
    Anonymous classifications always count: anonymous volunteers cannot be told apart.
    One grouping per volunteer and subject (arg_min / arg_max) rather than a window over every
    vote: the window sorted each vote row, about a fifth of vote_counts' time at a million. -#}
{% macro repeat_classification_filter(votes) -%}
    {%- set policy = choice_var('repeat_classifications', 'first', ['first', 'last', 'all']) -%}
    select distinct
        schema_name,
        classification_id
    from {{ votes }}
    {%- if policy != 'all' %}
        where user_id is null
    union all
    select
        schema_name,
        {{ (value_at_max if policy == 'last' else value_at_min)(
            'classification_id', ['created_at', 'classification_id']
        ) }} as classification_id
    from {{ votes }}
    where user_id is not null
    group by schema_name, subject_id, user_id
    {%- endif %}
{%- endmacro %}
