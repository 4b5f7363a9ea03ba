{#- After `dbt build` or `dbt run`: each mart this run changed is copied to
    $WAREHOUSE_DATA_DIR/marts/<name>.parquet for BI tools, pandas or a second DuckDB, which then
    never hold the warehouse file open. A mart is changed when this run built it and wrote rows
    (incremental marts stamp them with _loaded_at), or when its file is missing; a run with
    nothing new rewrites nothing. DuckDB writes each file beside the old one and renames it into
    place, so a reader sees the old file or the new one, never half of one. (The directory is
    made by warehouse.dbt_plugin.) Then $WAREHOUSE_DATA_DIR/marts.duckdb, the serving database
    of views over them, is written anew if what it should name changed. -#}
{% macro publish_marts() %}
    {%- if not execute or flags.WHICH not in ('build', 'run') or target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set directory = env_var('WAREHOUSE_DATA_DIR', 'data') ~ '/marts' -%}
    {%- set published = [] -%}
    {%- for result in results
        if result.node.resource_type == 'model' and 'marts' in result.node.fqn
        and result.status == 'success' -%}
        {%- set node = result.node -%}
        {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
        {%- set path = directory ~ '/' ~ node.name ~ '.parquet' -%}
        {#- a mart may ask for its rows in an order (meta publish_order_by), so that a reader
            filtering on its first column skips most row groups by their statistics -#}
        {%- set order_by = node.config.meta.get('publish_order_by', []) -%}
        {%- if relation is not none and mart_changed(relation, path) -%}
            {%- do run_query(
                "copy (select * from " ~ relation
                ~ (" order by " ~ order_by | join(", ") if order_by else "")
                ~ ") to " ~ sql_string(path)
                ~ " (format parquet, compression zstd, use_tmp_file true)"
            ) -%}
            {%- do published.append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log("published " ~ published | length ~ " marts as parquet under " ~ directory
        ~ (": " ~ published | join(", ") if published else " (none changed)"), info=true) }}
    {#- then marts.duckdb, one view per published mart, for BI tools (warehouse/serving.py) -#}
    {%- set serving = run_query(
        "select publish_serving_database("
        ~ sql_string(env_var('WAREHOUSE_DATA_DIR', 'data')) ~ ")"
    ) -%}
    {{ log(serving.columns[0].values()[0], info=true) }}
    {{ return('') }}
{% endmacro %}

{% macro mart_changed(relation, path) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- set check -%}
        select
            (select count(*) from glob({{ sql_string(path) }})) = 0
            {%- if '_loaded_at' in columns %}
            or exists (
                select 1 from {{ relation }} where _loaded_at >= {{ run_started_timestamp() }}
            )
            {%- else %}
            or true
            {%- endif %}
    {%- endset -%}
    {{ return(run_query(check).columns[0].values()[0]) }}
{%- endmacro %}
