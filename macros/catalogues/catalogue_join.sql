{#- A schema's catalogue joined to the external catalogue (var external_catalogue): every row
    of <schema>_vote_fractions with its counterpart's columns, prefixed "catalogue_", how it was
    matched (iauname or position) and the separation in arcseconds. A campaign's model
    (models/marts/<schema>_catalogue.sql) is one call:
    {{ catalogue_join('gz_decals_dr5') }}
    Rebuilt whole by a run whose inputs changed, and left alone (not published again) by any
    other (meta skip_unchanged_inputs: macros/engine/unchanged_inputs.sql). -#}
{% macro catalogue_join(schema_name) %}
{{ config(post_hook="{{ remember_inputs() }}", meta={'skip_unchanged_inputs': true, 'publish_in_subject_buckets': true}) }}
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
        {{ catalogue_join_columns(
            ref(schema_name ~ '_vote_fractions'), ref('external_catalogue')
        ) }},
        {{ run_started_timestamp() }} as _loaded_at
    from vote_fractions
    left join matches using (subject_id)
    left join external_catalogue using (catalogue_row_id)
)

select * from final
{% endmacro %}

{#- The join's columns: the catalogue's (without _loaded_at and _configuration), how it
    matched, and every column of the external catalogue prefixed "catalogue_". -#}
{% macro catalogue_join_columns(vote_fractions, external_catalogue) -%}
    {{ return(adapter.dispatch('catalogue_join_columns')(vote_fractions, external_catalogue)) }}
{%- endmacro %}

{% macro default__catalogue_join_columns(vote_fractions, external_catalogue) -%}
    vote_fractions.* exclude (_loaded_at, _configuration),
    matches.match_method,
    matches.separation_arcsec as match_separation_arcsec,
    columns(external_catalogue.*) as "catalogue_\0"
{%- endmacro %}

{#- Spark has no star modifiers: the columns are listed from the relations when the model runs. -#}
{% macro spark__catalogue_join_columns(vote_fractions, external_catalogue) -%}
    {%- set catalogue_columns = adapter.get_columns_in_relation(vote_fractions) if execute else [] -%}
    {%- set external_columns = adapter.get_columns_in_relation(external_catalogue) if execute else [] -%}
    {%- for column in catalogue_columns if column.name not in ('_loaded_at', '_configuration') %}
    vote_fractions.{{ quoted_identifier(column.name) }},
    {%- endfor %}
    matches.match_method,
    matches.separation_arcsec as match_separation_arcsec
    {%- for column in external_columns %},
    external_catalogue.{{ quoted_identifier(column.name) }}
        as {{ quoted_identifier('catalogue_' ~ column.name) }}
    {%- endfor %}
{%- endmacro %}
