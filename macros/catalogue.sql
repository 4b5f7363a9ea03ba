{#- A schema's catalogue joined to the external catalogue (var external_catalogue): every row
    of <schema>_vote_fractions with its counterpart's columns, prefixed "catalogue_", how it was
    matched (iauname or position) and the separation in arcseconds. A model is one line:
    {{ catalogue_join('gz_decals_dr5') }} -#}
{% macro catalogue_join(schema_name) %}
with vote_fractions as (
    select * from {{ ref(schema_name ~ '_vote_fractions') }}
),

matches as (
    select * from {{ ref('int_catalogue_crossmatch') }}
),

external_catalogue as (
    select * from {{ ref('external_catalogue') }}
),

final as (
    select
        vote_fractions.* exclude (_loaded_at),
        matches.match_method,
        matches.separation_arcsec as match_separation_arcsec,
        columns(external_catalogue.*) as "catalogue_\0"
    from vote_fractions
    left join matches using (subject_id)
    left join external_catalogue using (catalogue_row_id)
)

select * from final
{% endmacro %}
