-- Each landed subject's counterpart in the external catalogue: by name (iauname) when one
-- matches, else the nearest object within var('crossmatch_radius_arcsec') on the sky. Pairs are
-- only formed within declination bands one radius high (the subject's band and the two around
-- it), never by a cross join; separations are great-circle, so ra = 0/360 is no edge. Rebuilt
-- whole when the landed subjects, the catalogue file or the vars changed, else left alone
-- (meta skip_unchanged_inputs: macros/engine/unchanged_inputs.sql).
{{
    config(
        materialized='table',
        post_hook="{{ remember_inputs() }}",
        meta={'skip_unchanged_inputs': true},
    )
}}
{%- set name_column = quoted_identifier(var('external_catalogue_name_column', 'iauname')) %}
{%- set ra_column = quoted_identifier(var('external_catalogue_ra_column', 'ra')) %}
{%- set dec_column = quoted_identifier(var('external_catalogue_dec_column', 'dec')) %}
{%- set radius_arcsec = numeric_var('crossmatch_radius_arcsec', 2.0, above=0) %}
{%- set band_degrees = radius_arcsec / 3600 %}

with subjects as (
    select
        subject_id,
        iauname,
        ra,
        dec,
        cast(floor((dec + 90) / {{ band_degrees }}) as bigint) as band
    from {{ ref('stg_panoptes__subjects') }}
),

catalogue as (
    select
        catalogue_row_id,
        cast({{ name_column }} as {{ dbt.type_string() }}) as catalogue_name,
        cast({{ ra_column }} as double) as ra,
        cast({{ dec_column }} as double) as dec,
        cast(floor((cast({{ dec_column }} as double) + 90) / {{ band_degrees }}) as bigint) as band
    from {{ ref('external_catalogue') }}
),

name_candidates as (
    select
        subjects.subject_id,
        catalogue.catalogue_row_id,
        'iauname' as match_method,
        {{ angular_separation_arcsec('subjects', 'catalogue') }} as separation_arcsec
    from subjects
    inner join catalogue
        on upper(trim(subjects.iauname)) = upper(trim(catalogue.catalogue_name))
),

name_matches as (
    select
        subject_id,
        catalogue_row_id,
        match_method,
        separation_arcsec
    from (
        select
            *,
            row_number() over (
                partition by subject_id
                order by separation_arcsec nulls last, catalogue_row_id
            ) as candidate_rank
        from name_candidates
    ) as ranked
    where candidate_rank = 1
),

unnamed_subjects as (
    select
        subjects.subject_id,
        subjects.ra,
        subjects.dec,
        {{ unnest_list(list_of(['subjects.band - 1', 'subjects.band', 'subjects.band + 1'])) }}
            as search_band
    from subjects
    {{ anti_join() }} name_matches using (subject_id)
    where subjects.ra is not null and subjects.dec is not null
),

position_candidates as (
    select
        unnamed_subjects.subject_id,
        catalogue.catalogue_row_id,
        'position' as match_method,
        {{ angular_separation_arcsec('unnamed_subjects', 'catalogue') }} as separation_arcsec
    from unnamed_subjects
    inner join catalogue
        on unnamed_subjects.search_band = catalogue.band
),

position_matches as (
    select
        subject_id,
        catalogue_row_id,
        match_method,
        separation_arcsec
    from (
        select
            *,
            row_number() over (
                partition by subject_id
                order by separation_arcsec, catalogue_row_id
            ) as candidate_rank
        from position_candidates
        where separation_arcsec <= {{ radius_arcsec }}
    ) as ranked
    where candidate_rank = 1
),

final as (
    select
        *,
        {{ run_started_timestamp() }} as _loaded_at
    from name_matches
    union all
    select
        *,
        {{ run_started_timestamp() }} as _loaded_at
    from position_matches
)

select * from final
