-- The external galaxy catalogue var('external_catalogue') points at (CSV or parquet; a FITS
-- table is converted first with `python -m ingest catalogue`). Without the var, an empty
-- catalogue, so the models downstream build all the same. Each row gets a catalogue_row_id.
-- On Spark a table, so that its row ids are given once per build.
-- meta file_var: the models that skip a run with unchanged inputs tell a new file by its size
-- and modification time (macros/engine/unchanged_inputs.sql).
{{ config(
    materialized='table' if target.type in ('spark', 'databricks') else 'view',
    meta={'file_var': 'external_catalogue'},
) }}
{%- set location = text_var('external_catalogue') %}
{%- if location and location.lower().endswith(('.fits', '.fit', '.fts', '.fits.gz')) %}
    {{ exceptions.raise_compiler_error(
        "var external_catalogue points at a FITS file; convert it first with "
        ~ "`python -m ingest catalogue " ~ location ~ "` and point the var at the parquet file"
    ) }}
{%- endif %}

{% if location %}
    {{ catalogue_file_rows(location) }}
{% else %}
    select
        cast(null as bigint) as catalogue_row_id,
        cast(null as {{ dbt.type_string() }}) as iauname,
        cast(null as double) as ra,
        cast(null as double) as dec
    where false
{% endif %}
