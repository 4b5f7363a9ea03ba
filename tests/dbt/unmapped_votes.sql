-- Votes of a schema's workflows that map to no schema answer: older workflow versions whose
-- questions or answers differ, unknown versions, indices outside the version. They stay in
-- flat with their reason and are never counted (vote_accounting counts their annotations as
-- `unmapped`). The warning gives the number of them among the votes this build wrote (every
-- vote with test_all_rows; vote_accounting has them all) and prints the most common reasons.
{{ config(severity='warn', fail_calc='coalesce(sum(votes), 0)') }}

{%- set unmapped_by_reason -%}
    select
        schema_name,
        workflow_id,
        unmapped_reason,
        count(distinct workflow_version) as workflow_versions,
        count(*) as votes
    from {{ ref('flat') }}
    where
        schema_name is not null and question is null
        and {{ new_rows_filter(ref('flat')) }}
    group by schema_name, workflow_id, unmapped_reason
{%- endset %}

{%- if execute and load_relation(ref('flat')) is not none %}
    {%- set top = run_query(unmapped_by_reason ~ ' order by votes desc limit 5') %}
    {%- for row in top.rows %}
        {{- log(
            'unmapped votes: ' ~ row['votes'] ~ ' in ' ~ row['schema_name'] ~ ', workflow '
            ~ row['workflow_id'] ~ ' (' ~ row['workflow_versions'] ~ ' versions): '
            ~ row['unmapped_reason'], info=True
        ) -}}
    {%- endfor %}
{%- endif %}

{{ unmapped_by_reason }}
