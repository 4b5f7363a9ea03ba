{#- One schema per layer, named as dbt_project.yml gives it (`+schema: staging` lands in
    `staging`, not dbt's default `<target schema>_staging`); models without a custom schema,
    the marts, stay in the target's own schema (`main` on DuckDB, `warehouse` on Spark). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
