{#- dbt's source(), for this project: a DuckDB source read from files (config
    `external_location`) reads them through an absolute path, so that the staging views over
    the landing read whatever directory the warehouse file is opened from (a BI tool, a
    notebook). URLs, absolute paths and Spark's sources are left as they are. -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {%- if target.type == 'duckdb' and relation.external -%}
        {%- do return(relation.incorporate(external=absolute_location(relation.external))) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
