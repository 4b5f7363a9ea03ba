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
    named zero-padded to ten digits; null subject ids in bucket `null`): the buckets whose
    number of rows or latest _loaded_at differ from what <name>/_buckets.json says their file
    holds, or whose file is missing, are written to hidden files beside the parts (a COPY of
    each bucket's range of subject ids when few changed, one partitioned COPY of them all when
    more than twelve did), then place_mart_buckets (warehouse/published.py) renames each over
    its part, deletes the parts of buckets left empty and writes the manifest last. An empty
    mart is one empty file (bucket `empty`), so that readers still find its columns. Returns
    what was done (empty when nothing was). -#}
{% macro publish_mart_buckets(relation, directory, name, width, order_by) -%}
    {%- set target_dir = directory ~ '/' ~ name -%}
    {%- set manifest = target_dir ~ '/_buckets.json' -%}
    {#- a bucket's name: zero-padded, so that the parts' names sort as their subject ids do -#}
    {%- set name_of = "coalesce(lpad(cast(subject_id // " ~ width ~ " as varchar), 10, '0'), 'null')" -%}
    {%- set has_manifest = run_query(
        "select count(*) from glob(" ~ sql_string(manifest) ~ ")"
    ).columns[0].values()[0] > 0 -%}
    {#- first the cheap question, so that a build that changed nothing costs nothing: did this
        run write rows, did the number of rows change (rows deleted alone), or the width? -#}
    {%- if has_manifest -%}
        {%- set touched -%}
            select
                exists (
                    select 1 from {{ relation }} where _loaded_at >= {{ run_started_timestamp() }}
                )
                or (select count(*) from {{ relation }}) != (
                    select coalesce(sum(n_rows), 0) from {{ read_manifest(manifest) }}
                )
                or exists (
                    select 1 from {{ read_manifest(manifest) }} where width is distinct from {{ width }}
                )
        {%- endset -%}
        {%- if not run_query(touched).columns[0].values()[0] -%}
            {{ return('') }}
        {%- endif -%}
    {%- endif -%}
    {%- set compare -%}
        with now_buckets as (
            select
                subject_id // {{ width }} as bucket_number,
                {{ name_of }} as bucket,
                count(*) as n_rows,
                cast(max(_loaded_at) as varchar) as loaded_at
            from {{ relation }}
            group by subject_id // {{ width }}
            union all
            select null, 'empty', 0, null
            where not exists (select 1 from {{ relation }})
        ),
        -- what the files hold, as long as their buckets are of this width
        before as (
            {%- if has_manifest %}
                select bucket, n_rows, loaded_at
                from {{ read_manifest(manifest) }}
                where width = {{ width }}
            {%- else %}
                select
                    cast(null as varchar) as bucket,
                    cast(null as bigint) as n_rows,
                    cast(null as varchar) as loaded_at
                where false
            {%- endif %}
        ),
        on_disk as (
            select regexp_extract(file, 'part-([^/]+)[.]parquet$', 1) as bucket
            from glob({{ sql_string(target_dir ~ '/part-*.parquet') }})
        ),
        -- a part on disk that no bucket of the mart has (of another width) is removed too
        known as (
            select bucket from before
            union
            select bucket from on_disk
        )
        select
            now_buckets.bucket_number,
            coalesce(now_buckets.bucket, known.bucket) as bucket,
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
        full outer join known on now_buckets.bucket = known.bucket
        left join before on coalesce(now_buckets.bucket, known.bucket) = before.bucket
        left join on_disk on coalesce(now_buckets.bucket, known.bucket) = on_disk.bucket
        order by bucket
    {%- endset -%}
    {%- set buckets = run_query(compare).rows -%}
    {%- set changed = buckets | selectattr('state', 'equalto', 'changed') | list -%}
    {%- set removed = buckets | selectattr('state', 'equalto', 'removed') | list -%}
    {%- if not changed and not removed -%}
        {{ return('') }}
    {%- endif -%}
    {%- do run_query("select make_directory(" ~ sql_string(target_dir) ~ ")") -%}
    {#- Up to twelve buckets: one COPY each of its range of subject ids. More: one partitioned
        COPY of them all, whose cost does not grow with the number of buckets (a range COPY
        scans the whole mart, which is not stored in subject order; DuckDB's partitioned COPY
        costs about twice a plain one, which twelve such scans reach at 4M votes). -#}
    {%- set written = [] -%}
    {%- set ranged = changed | rejectattr('bucket', 'equalto', 'empty') | list -%}
    {%- set one_pass = ranged | length > 12 -%}
    {%- if one_pass -%}
        {%- set names = [] -%}
        {%- for row in ranged -%}{%- do names.append(sql_string(row['bucket'])) -%}{%- endfor -%}
        {%- do run_query(
            "copy (select *, " ~ name_of ~ " as _bucket from " ~ relation
            ~ (" where " ~ name_of ~ " in (" ~ names | join(", ") ~ ")"
               if ranged | length < buckets | rejectattr('state', 'equalto', 'removed') | list | length
               else "")
            ~ (" order by " ~ order_by | join(", ") if order_by else "")
            ~ ") to " ~ sql_string(target_dir ~ '/.staging-' ~ invocation_id)
            ~ " (format parquet, compression zstd, partition_by (_bucket))"
        ) -%}
    {%- endif -%}
    {%- for row in changed -%}
        {%- if row['bucket'] == 'empty' -%}
            {%- set rows = "select * from " ~ relation ~ " limit 0" -%}
        {%- elif row['bucket'] == 'null' -%}
            {%- set rows = "select * from " ~ relation ~ " where subject_id is null" -%}
        {%- else -%}
            {%- set first = (row['bucket_number'] | int) * width -%}
            {%- set rows = "select * from " ~ relation ~ " where subject_id >= " ~ first
                ~ " and subject_id < " ~ (first + width)
                ~ " and subject_id // " ~ width ~ " = " ~ (row['bucket_number'] | int) -%}
        {%- endif -%}
        {%- if not one_pass or row['bucket'] == 'empty' -%}
            {%- do run_query(
                "copy (" ~ rows ~ (" order by " ~ order_by | join(", ") if order_by else "")
                ~ ") to " ~ sql_string(target_dir ~ '/.part-' ~ row['bucket'] ~ '.parquet.' ~ invocation_id)
                ~ " (format parquet, compression zstd)"
            ) -%}
        {%- endif -%}
        {%- do written.append(row['bucket']) -%}
    {%- endfor -%}
    {%- set manifest_lines = [] -%}
    {%- for row in buckets if row['state'] != 'removed' -%}
        {%- do manifest_lines.append(tojson({
            'bucket': row['bucket'],
            'width': width,
            'n_rows': row['n_rows'] | int,
            'loaded_at': row['loaded_at'],
        })) -%}
    {%- endfor -%}
    {%- do run_query(
        "select place_mart_buckets(" ~ sql_string(target_dir) ~ ", " ~ sql_string(invocation_id)
        ~ ", " ~ sql_string(tojson(written)) ~ ", "
        ~ sql_string(tojson(removed | map(attribute='bucket') | list)) ~ ", "
        ~ sql_string(manifest_lines | join('\n')) ~ ")"
    ) -%}
    {{ return(written | length ~ ' of its buckets written, ' ~ removed | length ~ ' removed') }}
{%- endmacro %}

{#- The manifest of a bucketed mart (JSON lines: bucket, width, n_rows, loaded_at), as a table. -#}
{% macro read_manifest(path) -%}
    read_json(
        {{ sql_string(path) }}, format = 'newline_delimited',
        columns = {bucket: 'VARCHAR', width: 'BIGINT', n_rows: 'BIGINT', loaded_at: 'VARCHAR'}
    )
{%- endmacro %}
