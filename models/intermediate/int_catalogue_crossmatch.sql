-- DuckDB only for now: Spark runs the models up to vote_counts (README, Spark)
{{ config(enabled=target.type not in ('spark', 'databricks')) }}
-- Each classified subject's counterpart in the external catalogue: by name (iauname) when one
-- matches, else the nearest object within var('crossmatch_radius_arcsec') on the sky. Pairs are
-- only formed within declination bands one radius high (the subject's band and the two around
-- it), never by a cross join; separations are great-circle, so ra = 0/360 is no edge.
{%- set name_column = quoted_identifier(var('external_catalogue_name_column', 'iauname')) %}
{%- set ra_column = quoted_identifier(var('external_catalogue_ra_column', 'ra')) %}
{%- set dec_column = quoted_identifier(var('external_catalogue_dec_column', 'dec')) %}
{%- set radius_arcsec = var('crossmatch_radius_arcsec', 2.0) | float %}
{%- if radius_arcsec <= 0 %}
    {{ exceptions.raise_compiler_error("var crossmatch_radius_arcsec must be positive") }}
{%- endif %}
{%- set band_degrees = radius_arcsec / 3600 %}

with subjects as (
    select
        subject_id,
        iauname,
        ra,
        dec,
        floor((dec + 90) / {{ band_degrees }})::bigint as band
    from {{ ref('subjects') }}
),

catalogue as (
    select
        catalogue_row_id,
        {{ name_column }}::varchar as catalogue_name,
        {{ ra_column }}::double as ra,
        {{ dec_column }}::double as dec,
        floor(({{ dec_column }}::double + 90) / {{ band_degrees }})::bigint as band
    from {{ ref('external_catalogue') }}
),

name_matches as (
    select
        subjects.subject_id,
        catalogue.catalogue_row_id,
        'iauname' as match_method,
        {{ angular_separation_arcsec('subjects', 'catalogue') }} as separation_arcsec
    from subjects
    inner join catalogue
        on upper(trim(subjects.iauname)) = upper(trim(catalogue.catalogue_name))
    qualify row_number() over (
        partition by subjects.subject_id
        order by separation_arcsec nulls last, catalogue.catalogue_row_id
    ) = 1
),

unnamed_subjects as (
    select
        subjects.*,
        unnest([subjects.band - 1, subjects.band, subjects.band + 1]) as search_band
    from subjects
    anti join name_matches using (subject_id)
    where subjects.ra is not null and subjects.dec is not null
),

position_matches as (
    select
        unnamed_subjects.subject_id,
        catalogue.catalogue_row_id,
        'position' as match_method,
        {{ angular_separation_arcsec('unnamed_subjects', 'catalogue') }} as separation_arcsec
    from unnamed_subjects
    inner join catalogue
        on unnamed_subjects.search_band = catalogue.band
    where separation_arcsec <= {{ radius_arcsec }}
    qualify row_number() over (
        partition by unnamed_subjects.subject_id
        order by separation_arcsec, catalogue.catalogue_row_id
    ) = 1
),

final as (
    select * from name_matches
    union all
    select * from position_matches
)

select * from final
