{#- After `dbt build` or `dbt run`: each mart this run changed is copied to
    $WAREHOUSE_DATA_DIR/marts/<name>.parquet for BI tools, pandas or a second DuckDB, which then
    never hold the warehouse file open. A mart is changed when this run built it and wrote rows
    (incremental marts stamp them with _loaded_at), or when its file is missing; a run with
    nothing new rewrites nothing. DuckDB writes each file beside the old one and renames it into
    place, so a reader sees the old file or the new one, never half of one. A large mart keyed by
    subject (meta publish_in_subject_buckets) is published as marts/<name>/part-<bucket>.parquet
    instead, a bucket being var published_subject_bucket_width subject ids, and only the buckets
    whose rows changed are written (publish_mart_buckets). (The directory is made by warehouse.dbt_plugin.) Then
    $WAREHOUSE_DATA_DIR/marts.duckdb, the serving database of views over them, is written anew
    if what it should name changed. -#}
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
        {%- if relation is not none and node.config.meta.get('publish_in_subject_buckets') -%}
            {%- set written = publish_mart_buckets(
                relation, directory, node.name,
                numeric_var('published_subject_bucket_width', 65536, integer=true, minimum=1),
                order_by
            ) -%}
            {%- if written -%}
                {%- do published.append(node.name ~ ' (' ~ written ~ ')') -%}
            {%- endif -%}
        {%- elif relation is not none and mart_changed(relation, path) -%}
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

{#- A mart published as one file per bucket of subject ids (bucket = subject_id // width,
    zero-padded to ten digits; null subject ids in bucket `null`): the buckets whose number of rows or latest _loaded_at differ
    from what <name>/_buckets.json says their file holds, or whose file is missing, are written
    in one pass to a staging directory, then moved into place one file at a time by
    place_mart_buckets (warehouse/published.py), which deletes the files of buckets left empty
    and writes the manifest last. An empty mart is one empty file (bucket `empty`), so that
    readers still find its columns. Returns what was done (empty when nothing was). -#}
{% macro publish_mart_buckets(relation, directory, name, width, order_by) -%}
    {%- set target_dir = directory ~ '/' ~ name -%}
    {%- set manifest = target_dir ~ '/_buckets.json' -%}
    {#- zero-padded, so that the parts' names sort as their subject ids do -#}
    {%- set bucket = "coalesce(lpad(cast(subject_id // " ~ width ~ " as varchar), 10, '0'), 'null')" -%}
    {%- set has_manifest = run_query(
        "select count(*) from glob(" ~ sql_string(manifest) ~ ")"
    ).columns[0].values()[0] > 0 -%}
    {%- set compare -%}
        with now_buckets as (
            select
                {{ bucket }} as bucket,
                count(*) as n_rows,
                cast(max(_loaded_at) as varchar) as loaded_at
            from {{ relation }}
            group by all
            union all
            select 'empty', 0, null
            where not exists (select 1 from {{ relation }})
        ),
        before as (
            {%- if has_manifest %}
                select bucket, n_rows, loaded_at
                from read_json(
                    {{ sql_string(manifest) }}, format = 'newline_delimited',
                    columns = {bucket: 'VARCHAR', n_rows: 'BIGINT', loaded_at: 'VARCHAR'}
                )
            {%- else %}
                select
                    cast(null as varchar) as bucket,
                    cast(null as bigint) as n_rows,
                    cast(null as varchar) as loaded_at
                where false
            {%- endif %}
        ),
        on_disk as (
            select distinct regexp_extract(file, 'part-([^-/]+?)(-[0-9]+)?[.]parquet$', 1) as bucket
            from glob({{ sql_string(target_dir ~ '/part-*.parquet') }})
        ),
        compared as (
            select
                coalesce(now_buckets.bucket, before.bucket) as bucket,
                now_buckets.n_rows,
                now_buckets.loaded_at,
                case
                    when now_buckets.bucket is null then 'removed'
                    when
                        before.bucket is null
                        or on_disk.bucket is null
                        or before.n_rows != now_buckets.n_rows
                        or before.loaded_at is distinct from now_buckets.loaded_at
                        then 'changed'
                    else 'same'
                end as state
            from now_buckets
            full outer join before on now_buckets.bucket = before.bucket
            left join on_disk on coalesce(now_buckets.bucket, before.bucket) = on_disk.bucket
        )
        select
            count(*) filter (where state = 'changed') as changed,
            count(*) filter (where state = 'removed') as removed,
            coalesce(string_agg(
                json_object('bucket', bucket, 'n_rows', n_rows, 'loaded_at', loaded_at)::varchar,
                chr(10) order by bucket
            ) filter (where state != 'removed'), '') as manifest,
            coalesce(to_json(list(bucket) filter (where state = 'removed'))::varchar, '[]')
                as removed_buckets,
            coalesce(string_agg(
                '''' || replace(bucket, '''', '''''') || '''', ', '
            ) filter (where state = 'changed' and bucket != 'empty'), '') as changed_buckets,
            bool_or(state = 'changed' and bucket = 'empty') as empty_changed
        from compared
    {%- endset -%}
    {%- set found = run_query(compare).rows[0] -%}
    {%- if found['changed'] == 0 and found['removed'] == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set staging = directory ~ '/.staging-' ~ name ~ '-' ~ invocation_id -%}
    {%- if found['changed_buckets'] -%}
        {%- do run_query(
            "copy (select *, " ~ bucket ~ " as _bucket from " ~ relation
            ~ " where " ~ bucket ~ " in (" ~ found['changed_buckets'] ~ ")"
            ~ (" order by " ~ order_by | join(", ") if order_by else "")
            ~ ") to " ~ sql_string(staging)
            ~ " (format parquet, compression zstd, partition_by (_bucket))"
        ) -%}
    {%- endif -%}
    {%- if found['empty_changed'] -%}
        {%- do run_query(
            "select make_directory(" ~ sql_string(staging ~ '/_bucket=empty') ~ ")"
        ) -%}
        {%- do run_query(
            "copy (select * from " ~ relation ~ " limit 0) to "
            ~ sql_string(staging ~ '/_bucket=empty/data_0.parquet') ~ " (format parquet)"
        ) -%}
    {%- endif -%}
    {%- set placed = run_query(
        "select place_mart_buckets(" ~ sql_string(staging) ~ ", " ~ sql_string(target_dir) ~ ", "
        ~ sql_string(found['removed_buckets']) ~ ", " ~ sql_string(found['manifest']) ~ ")"
    ) -%}
    {{ return(found['changed'] ~ ' of its buckets written, ' ~ found['removed'] ~ ' removed') }}
{%- endmacro %}
