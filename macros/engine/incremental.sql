{#- How incremental models replace their rows on each engine, and what they compare with:
    the high-water mark of what is already loaded and the run's start time. -#}

{#- A model that replaces its rows by unique key on each run where the engine's table format
    can (DuckDB; Spark on Delta or Iceberg), and is rebuilt whole where it cannot (Spark's
    plain parquet tables only append or overwrite). -#}
{% macro incremental_where_supported() -%}
    {{ return(adapter.dispatch('incremental_where_supported')()) }}
{%- endmacro %}

{% macro default__incremental_where_supported() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_where_supported() -%}
    {%- set table_format = env_var('WAREHOUSE_SPARK_FILE_FORMAT', 'parquet') -%}
    {{ return('incremental' if table_format in ('delta', 'iceberg', 'hudi') else 'table') }}
{%- endmacro %}

{#- An incremental model's unique key. DuckDB replaces all rows of each key the run recomputes
    (delete+insert), so a group key will do (a subject, a classification); a merge (Spark on
    Delta or Iceberg) matches row by row, so there it is the key of one row. -#}
{% macro incremental_key(group_key, row_key) -%}
    {{ return(adapter.dispatch('incremental_key')(group_key, row_key)) }}
{%- endmacro %}

{% macro default__incremental_key(group_key, row_key) -%}
    {{ return(group_key) }}
{%- endmacro %}

{% macro spark__incremental_key(group_key, row_key) -%}
    {{ return(row_key) }}
{%- endmacro %}

{#- The largest value of a column already in this incremental model (-infinity when empty):
    rows of upstream models newer than it are what the next run has to process. A constant,
    read when the model is compiled: compared with a constant, a scan of an upstream table
    skips every row group whose statistics show older rows, so a run costs what is new, not
    what is old (a subquery in its place is only known once the scan has read everything). -#}
{% macro high_water_mark(column) -%}
    {%- if this is string -%}
        {#- a unit test's given rows (a CTE's name), read as they are -#}
        {{ return(
            "(select coalesce(max(previous_runs." ~ column ~ "), " ~ earliest_timestamp()
            ~ ") from " ~ this ~ " as previous_runs)"
        ) }}
    {%- elif execute -%}
        {%- set found = run_query(
            "select cast(max(" ~ column ~ ") as " ~ dbt.type_string() ~ ") from " ~ this
        ) -%}
        {%- set value = found.columns[0].values()[0] -%}
        {%- if value is not none -%}
            {{ return("cast(" ~ sql_string(value) ~ " as timestamp)") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(earliest_timestamp()) }}
{%- endmacro %}

{#- A bound on a timestamp column: not before the earliest day of `days` (a relation with a
    date column `classified_on`), and after every row when `days` is empty. derived is appended
    in landing order, close to time order, so the bound lets a scan skip the row groups older
    than every day a run recounts (all of them when it recounts none). -#}
{% macro on_or_after_earliest_day(column, days) -%}
    {{ column }} >= (
        select
            coalesce(
                cast(min(earliest.classified_on) as timestamp),
                cast('9999-12-31' as timestamp)
            )
        from {{ days }} as earliest
    )
{%- endmacro %}

{#- When a dbt run started: incremental models stamp their rows with it as _loaded_at. -#}
{% macro run_started_timestamp() -%}
    cast('{{ run_started_at }}' as timestamp)
{%- endmacro %}

{#- A filter on `landed_file` for the classifications of the landed files this incremental
    model has taken none of: the files' names, read when the model is compiled, so that a scan
    of the landing opens those files alone (`false`, reading none, when nothing new landed). -#}
{% macro landed_files_not_taken() -%}
    {%- if this is string or not execute -%}
        {{ return("landed_file not in (" ~ taken_files(this) ~ ")") }}
    {%- endif -%}
    {{ return(classification_files_not_in(taken_files(this))) }}
{%- endmacro %}

{#- Whether this incremental model holds a row matching `condition`, read when the model is
    compiled: a part of the model that only such rows need can then be left out (true in a
    unit test, whose `this` is given rows). -#}
{% macro this_has_rows(condition) -%}
    {%- if this is string or not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set found = run_query(
        "select count(*) from (select 1 from " ~ this ~ " where " ~ condition ~ " limit 1)"
    ) -%}
    {{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- Post-hook of an incremental model that replaces its rows by a group key (delete+insert):
    a key nothing is left of gets one placeholder row, with `column` null, which replaces the
    key's rows; this deletes the placeholders, in the model's transaction. -#}
{% macro drop_emptied_keys(column) -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where {{ column }} is null
    {%- endif -%}
{%- endmacro %}

{#- dbt-duckdb's delete+insert, deleting by the distinct keys of the new rows. Its own joins
    the target with every new row, and a group key (a subject) repeats in each of its rows:
    int_counted_votes at 4M votes spent 9 s deleting a quarter of its subjects that way, and
    0.5 s by their distinct keys. A join, not `(keys) in (...)`: DuckDB compares row values
    with nulls equal, which would delete rows whose key is null; a model whose null key is a
    group of its own (int_counted_votes: the anonymous volunteers) says so with meta
    unique_key_nulls_equal. -#}
{% macro duckdb__get_delete_insert_merge_sql(
    target, source, unique_key, dest_columns, incremental_predicates
) -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
    {%- if unique_key -%}
        {%- set keys = [unique_key] if unique_key is string else unique_key -%}
        {%- set nulls_equal = config.get('meta', {}).get('unique_key_nulls_equal', false) -%}
        delete from {{ target }} as dbt_incremental_target
        using (
            select distinct {{ keys | join(', ') }} from {{ source }}
        ) as dbt_incremental_keys
        where
            {% for key in keys -%}
                {%- set target_key = 'dbt_incremental_target.' ~ key %}
                {{ null_safe_equal('dbt_incremental_keys.' ~ key, target_key) if nulls_equal
                    else 'dbt_incremental_keys.' ~ key ~ ' = ' ~ target_key }}
                {{- " and" if not loop.last }}
            {% endfor -%}
            {%- for predicate in incremental_predicates or [] %}
                and {{ predicate }}
            {%- endfor %};
    {%- endif %}

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{%- endmacro %}

{#- A post-hook's statement that rewrites this model with its columns in the `expected` order,
    when they are in another (on_schema_change appends the columns it adds at the end); nothing
    when they already are. -#}
{% macro reorder_columns(expected) -%}
    {%- set actual = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if actual != expected -%}
        {%- set columns = [] -%}
        {%- for column in expected -%}
            {%- do columns.append(quoted_identifier(column)) -%}
        {%- endfor -%}
        create or replace table {{ this }} as select {{ columns | join(', ') }} from {{ this }}
    {%- endif -%}
{%- endmacro %}
