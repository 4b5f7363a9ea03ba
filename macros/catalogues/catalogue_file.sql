{#- The rows of an external catalogue file (parquet, or CSV with a header on DuckDB), each with
    a catalogue_row_id unique within the file. -#}
{% macro catalogue_file_rows(location) -%}
    {{ return(adapter.dispatch('catalogue_file_rows')(location)) }}
{%- endmacro %}

{#- DuckDB keeps this model a view over the file, so the file is named by its absolute path. -#}
{% macro default__catalogue_file_rows(location) -%}
    {%- set reader = 'read_parquet' if location.lower().endswith(('.parquet', '.pq'))
        else 'read_csv' %}
    select
        row_number() over () as catalogue_row_id,
        external.*
    from {{ reader }}({{ sql_string(absolute_path(location)) }}) as external
{%- endmacro %}

{#- Spark reads the catalogue as parquet; this model is a table there, so the ids, given by
    the order Spark reads the file in, are fixed once per build. -#}
{% macro spark__catalogue_file_rows(location) -%}
    {%- if not location.lower().endswith(('.parquet', '.pq')) -%}
        {{ exceptions.raise_compiler_error(
            "on Spark var external_catalogue must be a parquet file, not " ~ location
        ) }}
    {%- endif -%}
    select
        monotonically_increasing_id() as catalogue_row_id,
        external.*
    from parquet.`{{ location | replace('`', '``') }}` as external
{%- endmacro %}
