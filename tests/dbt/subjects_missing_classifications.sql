-- Subjects with fewer classifications landed than Panoptes counts (reason 'missing' in
-- classification_count_mismatches): classifications are missing from the landing. The
-- warning gives the number of subjects and prints the workflows with the most classifications
-- missing; run `ingest api` again (or load an export) and build.
{{ config(severity='warn', fail_calc='count(distinct subject_id)') }}

{%- set missing -%}
    select
        subject_id,
        workflow_id,
        landed_classifications,
        panoptes_classifications,
        -difference as classifications_missing
    from {{ ref('classification_count_mismatches') }}
    where reason = 'missing'
{%- endset %}

{%- if execute and load_relation(ref('classification_count_mismatches')) is not none %}
    {%- set top -%}
        select
            workflow_id,
            count(*) as subjects,
            sum(classifications_missing) as classifications
        from ({{ missing }}) as missing_by_subject
        group by workflow_id
        order by classifications desc
        limit 5
    {%- endset %}
    {%- for row in run_query(top).rows %}
        {{- log(
            'subjects missing classifications: ' ~ row['subjects'] ~ ' in workflow '
            ~ row['workflow_id'] ~ ' (' ~ row['classifications']
            ~ ' classifications Panoptes counts are not landed)', info=True
        ) -}}
    {%- endfor %}
{%- endif %}

{{ missing }}
