-- What the last build was made with, one row per setting (its value as text, null when unset):
-- when it ran, the project's version and the vars and seed that decide what counts. The
-- catalogue writers put these in their files (FITS header cards, parquet metadata) so that a
-- catalogue says how it was made. A table, rebuilt every run.
{{ config(materialized='table') }}

{%- set settings = [
    ('built_at', run_started_at.strftime('%Y-%m-%dT%H:%M:%SZ')),
    ('project_version', adapter.config.version | string if adapter.config.version else none),
    ('repeat_classifications', var('repeat_classifications', 'first')),
    ('fraction_interval_level', var('fraction_interval_level', 0.8)),
    ('classified_after', var('classified_after', none)),
    ('classified_before', var('classified_before', none)),
    ('catalogue_min_total_votes', var('catalogue_min_total_votes', 0)),
    ('volunteer_weighting_iterations', var('volunteer_weighting_iterations', 3)),
    ('volunteer_weight_tolerance', var('volunteer_weight_tolerance', 0)),
] %}

with excluded_volunteers as (
    select * from {{ ref('excluded_volunteers') }}
),

final as (
    {%- for name, value in settings %}
        select
            {{ sql_string(name) }} as setting,
            {% if value is none or value | string | trim == '' -%}
                cast(null as {{ dbt.type_string() }})
            {%- else -%}
                {{ sql_string(value | string | trim) }}
            {%- endif %} as value
        union all
    {%- endfor %}
    select
        'excluded_volunteers' as setting,
        cast(count(*) as {{ dbt.type_string() }}) as value
    from excluded_volunteers
)

select * from final
