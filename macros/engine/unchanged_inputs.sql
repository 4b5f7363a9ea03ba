{#- Models that read whole inputs most runs leave alone (volunteer weights from every counted
    vote, training labels from every vote count, the marts over the whole landing) set
    `meta={'skip_unchanged_inputs': true}`: a run that finds their inputs as they were at the
    model's last build leaves them alone (macros/engine/materializations.sql), in the time of a
    few metadata queries, instead of computing the same rows again.

    The inputs are what the model depends on in dbt's graph, each by what tells a change:
    - an incremental model: its row count and largest _loaded_at (a row replaced by key comes
      back with a later one, a row deleted lowers the count);
    - a table with a documented _loaded_at (rebuilt only when its own inputs changed): the
      same; any other table: its rows (the ones read this way are small: mappings, version
      tasks);
    - a view: what it depends on, down to the landed files of each source (their names: ingest
      never rewrites a landed file, it lands new ones);
    - a seed: the checksum dbt keeps of its file;
    and the vars that decide counting (counting_vars), the model's file, the project's macros
    and the command line's vars (a new release of the code recomputes once). The model's
    post-hook keeps the signature in intermediate.int_inputs__<model>, in the transaction of its
    rows, so a failed run leaves the signature of the last good one. Where tables cannot be
    replaced in place (Spark's parquet tables) these models are rebuilt every run, as before. -#}

{% macro inputs_signature() -%}
    {%- set parts = [counting_vars(), code_signature()] -%}
    {%- for unique_id in model.depends_on.nodes | unique | sort -%}
        {%- do parts.append(unique_id ~ '=' ~ input_signature(unique_id)) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}

{#- The code the model is built by: its own file (dbt's checksum), every macro of the project
    and dbt_project.yml (read from the files: dbt's graph does not hold the macros), and the
    vars given on the command line. The same whether the run is a first build or an increment,
    so that the build after a full one already skips. -#}
{% macro code_signature() -%}
    {%- set files = run_query(
        "select md5(coalesce(string_agg(parse_filename(filename) || ':' || content, '|'"
        ~ " order by filename), '')) from read_text(["
        ~ sql_string(absolute_path('macros') ~ '/**/*.sql') ~ ", "
        ~ sql_string(absolute_path('dbt_project.yml')) ~ "])"
    ).rows[0][0] -%}
    {{ return(model.checksum.checksum ~ ':' ~ files ~ ':' ~ invocation_args_dict.get('vars', '')) }}
{%- endmacro %}

{% macro input_signature(unique_id) -%}
    {%- set node = graph.nodes.get(unique_id) or graph.sources.get(unique_id) -%}
    {%- if node.resource_type == 'seed' -%}
        {{ return(node.checksum.checksum) }}
    {%- elif node.resource_type == 'source' -%}
        {%- set found = run_query(
            "select count(*), md5(coalesce(string_agg(parse_filename(file), ',' order by"
            ~ " parse_filename(file)), '')) from glob("
            ~ sql_string(landed_files_glob(node.name)) ~ ")"
        ) -%}
        {{ return(found.rows[0][0] ~ ':' ~ found.rows[0][1]) }}
    {%- endif -%}
    {%- set materialized = node.config.materialized -%}
    {%- set file_var = node.config.meta.get('file_var') -%}
    {%- if file_var and text_var(file_var) -%}
        {%- set found = run_query(
            "select size, cast(last_modified as " ~ dbt.type_string() ~ ") from read_blob("
            ~ sql_string(absolute_path(text_var(file_var))) ~ ")"
        ) -%}
        {{ return(text_var(file_var) ~ ':' ~ found.rows[0][0] ~ ':' ~ found.rows[0][1]) }}
    {%- elif file_var -%}
        {{ return('none') }}
    {%- elif materialized == 'view' -%}
        {%- set parts = [] -%}
        {%- for upstream in node.depends_on.nodes | unique | sort -%}
            {%- do parts.append(upstream ~ '=' ~ input_signature(upstream)) -%}
        {%- endfor -%}
        {{ return(parts | join(';')) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(node.database, node.schema, node.alias) -%}
    {%- if relation is none -%}
        {{ return('absent') }}
    {%- elif materialized == 'incremental' or '_loaded_at' in node.columns -%}
        {%- set found = run_query(
            "select count(*), cast(max(_loaded_at) as " ~ dbt.type_string() ~ ") from " ~ relation
        ) -%}
    {%- else -%}
        {%- set found = run_query(
            "select count(*), md5(coalesce(string_agg(cast(whole_rows as " ~ dbt.type_string()
            ~ "), '|' order by cast(whole_rows as " ~ dbt.type_string() ~ ")), '')) from "
            ~ relation ~ " as whole_rows"
        ) -%}
    {%- endif -%}
    {{ return(found.rows[0][0] ~ ':' ~ found.rows[0][1]) }}
{%- endmacro %}

{#- True when this model (an incremental one or a table) was last built from inputs of the
    signature they have now; false on a first build, a full refresh, for a model that does not
    ask, or on Spark. -#}
{% macro inputs_unchanged() -%}
    {{ return(adapter.dispatch('inputs_unchanged')()) }}
{%- endmacro %}

{% macro default__inputs_unchanged() -%}
    {%- if not execute or should_full_refresh()
        or not config.get('meta', {}).get('skip_unchanged_inputs') -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set built = load_relation(this) -%}
    {%- set kept = load_relation(inputs_relation()) -%}
    {%- if built is none or built.is_view or kept is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set found = run_query("select signature from " ~ kept) -%}
    {{ return(found.rows | length == 1 and found.rows[0][0] == inputs_signature()) }}
{%- endmacro %}

{% macro spark__inputs_unchanged() -%}
    {{ return(false) }}
{%- endmacro %}

{#- Post-hook: the signature of the inputs this build read. -#}
{% macro remember_inputs() -%}
    {{ return(adapter.dispatch('remember_inputs')()) }}
{%- endmacro %}

{% macro default__remember_inputs() -%}
    {%- if execute -%}
        {%- set kept = inputs_relation() -%}
        create schema if not exists {{ kept.without_identifier() }};
        create or replace table {{ kept }} as
        select {{ sql_string(inputs_signature()) }} as signature
    {%- endif -%}
{%- endmacro %}

{% macro spark__remember_inputs() -%}
{%- endmacro %}

{#- intermediate.int_inputs__<model>: beside the intermediate models, out of the marts' schema
    that analysts and BI tools browse. -#}
{% macro inputs_relation() -%}
    {{ return(this.incorporate(path={
        'schema': generate_schema_name('intermediate', none),
        'identifier': 'int_inputs__' ~ this.identifier,
    })) }}
{%- endmacro %}
