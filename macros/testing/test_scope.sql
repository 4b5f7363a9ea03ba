{#- Data tests of a scheduled build look at what the build changed, not at the whole history.

    dbt reads the relation a data test checks through get_where_subquery (dbt-core's own
    version applies the test's `where` config); this one, overriding it for the project,
    turns the placeholder __new_rows__ (set for every test in dbt_project.yml) into:
    - `_loaded_at` >= this run's start for relations with that column (incremental models and
      marts: the rows this run wrote; everything after a full refresh);
    - the rows of the landed files that `derived` had not taken before this run, for the
      staging views over the landing (by their `landed_file`): a file landed late is tested
      whatever its rows' ingested_at (for the classifications, the files are named in the
      test, so that a run with nothing new reads none);
    - no filter for anything else (seeds, small intermediate tables, views without
      landed_file).
    Each incremental model replaces rows by its unique key, so old rows cannot collide with new
    ones; `dbt build --vars '{test_all_rows: true}'` tests every row all the same. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__new_rows__' in where -%}
        {%- set where = where | replace('__new_rows__', new_rows_filter(relation)) -%}
    {%- endif -%}
    {%- if where and where | trim != 'true' -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') as dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{% macro new_rows_filter(relation) -%}
    {%- if boolean_var('test_all_rows', false) or not execute or load_relation(relation) is none -%}
        {%- do return('true') -%}
    {%- endif -%}
    {#- the classifications source itself (the landing's files): its files derived had not taken -#}
    {%- if target.type == 'duckdb' and relation.identifier == 'classifications'
        and relation.external and built_relation('derived') is not none -%}
        {%- do return(classification_files_not_in(
            taken_files(built_relation('derived')), 'parse_filename(filename)'
        )) -%}
    {%- endif -%}
    {%- set columns = query_columns('select * from ' ~ relation) -%}
    {%- if '_loaded_at' in columns -%}
        {%- do return('_loaded_at >= ' ~ run_started_timestamp()) -%}
    {%- endif -%}
    {%- set derived = built_relation('derived') if 'landed_file' in columns else none -%}
    {%- if 'landed_file' in columns and derived is not none
        and 'landed_file' in query_columns('select * from ' ~ derived) -%}
        {%- if relation.identifier == 'stg_panoptes__classifications' -%}
            {%- do return(classification_files_not_in(taken_files(derived))) -%}
        {%- endif -%}
        {%- do return("landed_file not in (" ~ taken_files(derived) ~ ")") -%}
    {%- endif -%}
    {%- do return('true') -%}
{%- endmacro %}

{#- The classification files landed and not among `taken_files` (a query of landed_file), named
    once the test is compiled: a filter on a constant list lets the scan of the landing read
    those files alone, and `false` (nothing new landed) reads none. -#}
{% macro classification_files_not_in(taken_files, column='landed_file') -%}
    {{ return(adapter.dispatch('classification_files_not_in')(taken_files, column)) }}
{%- endmacro %}

{% macro default__classification_files_not_in(taken_files, column) -%}
    {%- set new_files = run_query(
        "select parse_filename(landed.file) from glob("
        ~ sql_string(landed_files_glob('classifications')) ~ ") as landed"
        ~ " where parse_filename(landed.file) not in (" ~ taken_files ~ ")"
        ~ " order by 1"
    ).columns[0].values() -%}
    {%- if new_files | length == 0 -%}
        {{ return('false') }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for name in new_files -%}
        {%- do quoted.append(sql_string(name)) -%}
    {%- endfor -%}
    {{ return(column ~ ' in (' ~ quoted | join(', ') ~ ')') }}
{%- endmacro %}

{% macro spark__classification_files_not_in(taken_files, column) -%}
    {{ return(column ~ " not in (" ~ taken_files ~ ")") }}
{%- endmacro %}

{#- The landed files derived had taken before this run (a query). -#}
{% macro taken_files(derived) -%}
    {{ return(
        "select distinct built.landed_file from " ~ derived
        ~ " as built where built._loaded_at < " ~ run_started_timestamp()
        ~ " and built.landed_file is not null"
    ) }}
{%- endmacro %}

{#- The relation a model of this project was built as, found through the graph (whatever schema
    and alias it was given); none before it was first built. -#}
{% macro built_relation(model_name) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.package_name == project_name
        and node.name == model_name -%}
        {%- do return(adapter.get_relation(node.database, node.schema, node.alias)) -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}

{#- The column names of a query's result. -#}
{% macro query_columns(sql) -%}
    {{ return(adapter.dispatch('query_columns')(sql)) }}
{%- endmacro %}

{% macro default__query_columns(sql) -%}
    {{ return(run_query('describe ' ~ sql).columns[0].values()) }}
{%- endmacro %}

{% macro spark__query_columns(sql) -%}
    {{ return(run_query('describe query ' ~ sql).columns[0].values()) }}
{%- endmacro %}
