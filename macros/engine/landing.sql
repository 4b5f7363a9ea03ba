{#- The name of the landed file a row was read from, without its directories (so that moving
    the data directory changes nothing): `part-<timestamp>-<id>.parquet`, unique in the
    landing. Incremental models keep it per row and take the rows of every file they have not
    processed, whatever the rows' ingested_at says (a clock stepped back, a landing copied in
    from another machine). Valid only in a select straight from a source (a scan of the
    landing's files). -#}
{% macro landed_file_name() -%}
    {{ return(adapter.dispatch('landed_file_name')()) }}
{%- endmacro %}

{#- DuckDB's file readers have the virtual column `filename` (the path as globbed). -#}
{% macro default__landed_file_name() -%}
    parse_filename(filename)
{%- endmacro %}

{#- Spark's file sources have the hidden column `_metadata` (Spark 3.3 and later). -#}
{% macro spark__landed_file_name() -%}
    _metadata.file_name
{%- endmacro %}
