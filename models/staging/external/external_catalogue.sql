-- DuckDB only for now: Spark runs the models up to vote_counts (README, Spark)
{{ config(enabled=target.type not in ('spark', 'databricks')) }}
-- The external galaxy catalogue var('external_catalogue') points at (CSV or parquet; a FITS
-- table is converted first with `python -m ingest catalogue`). Without the var, an empty
-- catalogue, so the models downstream build all the same. Each row gets a catalogue_row_id.
{%- set location = var('external_catalogue', none) %}
{%- if location and location.lower().endswith(('.fits', '.fit', '.fts', '.fits.gz')) %}
    {{ exceptions.raise_compiler_error(
        "var external_catalogue points at a FITS file; convert it first with "
        ~ "`python -m ingest catalogue " ~ location ~ "` and point the var at the parquet file"
    ) }}
{%- endif %}

{% if location %}
    {%- set reader = 'read_parquet' if location.lower().endswith(('.parquet', '.pq'))
        else 'read_csv' %}
    select
        row_number() over () as catalogue_row_id,
        external.*
    from {{ reader }}({{ sql_string(location) }}) as external
{% else %}
    select
        null::bigint as catalogue_row_id,
        null::varchar as iauname,
        null::double as ra,
        null::double as dec
    where false
{% endif %}
