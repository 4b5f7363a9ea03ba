{#- A schema's catalogue joined to the external catalogue (var external_catalogue): every row
    of <schema>_vote_fractions with its counterpart's columns, prefixed "catalogue_", how it was
    matched (iauname or position) and the separation in arcseconds. A campaign's model
    (models/marts/<schema>_catalogue.sql) is one call:
    {{ catalogue_join('gz_decals_dr5') }}
    Incremental (unique key subject_id): a run joins the subjects whose vote fractions it
    rewrote, and every subject when the crossmatch was rebuilt since (new subject records, a
    new catalogue file or crossmatch vars); the pre-hook deletes the subjects the vote
    fractions no longer hold. A run that finds its inputs as the last build left them writes
    nothing (meta skip_unchanged_inputs: macros/engine/unchanged_inputs.sql). -#}
{% macro catalogue_join(schema_name) %}
{%- set vote_fractions_relation = ref(schema_name ~ '_vote_fractions') %}
{{ config(
    materialized=incremental_where_supported(),
    unique_key='subject_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ forget_uncatalogued_subjects(ref(" ~ ((schema_name ~ '_vote_fractions') | tojson) ~ ")) }}",
    post_hook=[
        "{{ keep_catalogue_column_order(" ~ (schema_name | tojson) ~ ") }}",
        "{{ remember_inputs() }}",
    ],
    meta={'skip_unchanged_inputs': true, 'publish_in_subject_buckets': true},
) }}
{%- set every_subject = not is_incremental() or crossmatch_rebuilt_since() %}

-- not materialized: the filter on the new rows must reach the scan
with vote_fractions as {{ not_materialized() }} (
    select *
    from {{ vote_fractions_relation }}
    {%- if not every_subject %}
        where {{ vote_fractions_relation }}._loaded_at > {{ high_water_mark('_loaded_at') }}
    {%- endif %}
),

matches as (
    select * from {{ ref('int_catalogue_crossmatch') }}
),

external_catalogue as (
    select * from {{ ref('external_catalogue') }}
),

final as (
    select
        {{ catalogue_join_columns(vote_fractions_relation, ref('external_catalogue')) }},
        {{ run_started_timestamp() }} as _loaded_at
    from vote_fractions
    left join matches using (subject_id)
    left join external_catalogue using (catalogue_row_id)
)

select * from final
{% endmacro %}

{#- Whether int_catalogue_crossmatch was rebuilt after this catalogue's last build (its rows
    carry the run that built them), or holds no match while the catalogue still shows one (a
    catalogue file taken away): every subject is joined again. Read when the model compiles. -#}
{% macro crossmatch_rebuilt_since() -%}
    {%- if this is string or not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set crossmatch = ref('int_catalogue_crossmatch') -%}
    {%- set found = run_query(
        "select coalesce((select max(_loaded_at) from " ~ crossmatch ~ ") > "
        ~ high_water_mark('_loaded_at') ~ ", false) or ("
        ~ "not exists (select 1 from " ~ crossmatch ~ ") and exists (select 1 from "
        ~ this ~ " where match_method is not null))"
    ) -%}
    {{ return(found.columns[0].values()[0]) }}
{%- endmacro %}

{#- Pre-hook of a schema's catalogue: deletes the subjects its vote fractions no longer hold
    (a configuration change, a higher var catalogue_min_total_votes), as a full build would
    leave them out. -#}
{% macro forget_uncatalogued_subjects(vote_fractions) -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        where not exists (
            select 1 from {{ vote_fractions }} as vote_fractions
            where vote_fractions.subject_id = {{ this }}.subject_id
        )
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of a schema's catalogue: after the vote fractions or the catalogue file gained
    or lost columns (appended at the end by on_schema_change), put them back in the order a
    full build gives. -#}
{% macro keep_catalogue_column_order(schema_name) -%}
    {%- if execute and is_incremental() -%}
        {%- set expected = [] -%}
        {%- for column in adapter.get_columns_in_relation(ref(schema_name ~ '_vote_fractions'))
            if column.name not in ('_loaded_at', '_configuration') -%}
            {%- do expected.append(column.name) -%}
        {%- endfor -%}
        {%- do expected.extend(['match_method', 'match_separation_arcsec']) -%}
        {%- for column in adapter.get_columns_in_relation(ref('external_catalogue')) -%}
            {%- do expected.append('catalogue_' ~ column.name) -%}
        {%- endfor -%}
        {%- do expected.append('_loaded_at') -%}
        {{ reorder_columns(expected) }}
    {%- endif -%}
{%- endmacro %}

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
