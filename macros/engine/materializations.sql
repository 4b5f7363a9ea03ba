{#- DuckDB's incremental and table materializations, for this project: a model that asks for
    it (meta skip_unchanged_inputs, macros/engine/unchanged_inputs.sql) and finds its inputs as
    its last build left them is done before anything is created, compared or deleted: no
    temporary table, no column comparison, no hooks, in the time of the few metadata queries
    that tell. Anything else is dbt-duckdb's own materialization. -#}
{% materialization incremental, adapter='duckdb', supported_languages=['sql', 'python'] -%}
    {%- if inputs_unchanged() -%}
        {{ return(leave_unchanged()) }}
    {%- endif -%}
    {{ return(dbt.materialization_incremental_duckdb()) }}
{%- endmaterialization %}

{% materialization table, adapter='duckdb', supported_languages=['sql', 'python'] -%}
    {%- if inputs_unchanged() -%}
        {{ return(leave_unchanged()) }}
    {%- endif -%}
    {{ return(dbt.materialization_table_duckdb()) }}
{%- endmaterialization %}

{#- What a materialization that leaves the model as it is returns. -#}
{% macro leave_unchanged() -%}
    {{ log(this ~ ": inputs as at the last build, nothing to do") }}
    {%- call statement('main') -%}
        select 0 as unchanged_inputs where false
    {%- endcall -%}
    {{ return({'relations': [this.incorporate(type='table')]}) }}
{%- endmacro %}
