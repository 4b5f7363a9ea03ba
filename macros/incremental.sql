{#- The largest value of a column already in this incremental model (-infinity when empty):
    rows of upstream models newer than it are what the next run has to process. -#}
{% macro high_water_mark(column) -%}
    (
        select coalesce(max(previous_runs.{{ column }}), {{ earliest_timestamp() }})
        from {{ this }} as previous_runs
    )
{%- endmacro %}

{#- When a dbt run started: incremental models stamp their rows with it as _loaded_at. -#}
{% macro run_started_timestamp() -%}
    cast('{{ run_started_at }}' as timestamp)
{%- endmacro %}
