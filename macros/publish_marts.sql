{#- After `dbt build` or `dbt run`: every mart copied to $WAREHOUSE_DATA_DIR/marts/<name>.parquet
    for BI tools, pandas or a second DuckDB, which then never hold the warehouse file open.
    DuckDB writes each file beside the old one and renames it into place, so a reader sees the
    old file or the new one, never half of one. (The directory is made by ingest.dbt_plugin.) -#}
{% macro publish_marts() %}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set directory = env_var('WAREHOUSE_DATA_DIR', 'data') ~ '/marts' -%}
    {%- set published = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and 'marts' in node.fqn and node.config.enabled -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
        {%- if relation is not none -%}
            {%- do published.append((relation, node.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for relation, name in published -%}
        {%- do run_query(
            "copy (select * from " ~ relation ~ ") to " ~ sql_string(directory ~ '/' ~ name ~ '.parquet')
            ~ " (format parquet, compression zstd, use_tmp_file true)"
        ) -%}
    {%- endfor -%}
    {{ log("published " ~ published | length ~ " marts as parquet under " ~ directory, info=true) }}
    {{ return('') }}
{% endmacro %}
