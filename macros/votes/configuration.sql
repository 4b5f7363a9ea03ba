{#- What the counting models were built with, so that a plain `dbt build` reflects a change of
    the seeds or of the vars they read without --full-refresh.

    Each schema's configuration is a digest of everything that decides how its votes count: its
    rows in question_answer_schema, label_aliases and workflow_schema, the excluded volunteers
    and the vars (repeat policy, date window, interval level, catalogue minimum, weighting
    iterations). The models keyed by schema store it in `_configuration`; a build drops the
    rows of a schema whose digest changed (pre-hook forget_changed_configuration) and
    recomputes all of that schema's subjects, and no other schema's. flat is keyed by
    classification: it stores the digest of
    its workflow version's answer mapping (mapping_configurations) and recomputes the votes of
    the workflow major versions whose mapping changed, by a seed or by a newly landed minor
    version; vote_accounting recomputes the subjects of those and of reconfigured workflows. -#}

{#- The vars that decide counting, as text: part of every schema's digest. -#}
{% macro counting_vars() -%}
    {%- set names = [
        'repeat_classifications', 'classified_after', 'classified_before',
        'fraction_interval_level', 'catalogue_min_total_votes', 'volunteer_weighting_iterations',
    ] -%}
    {%- set values = [] -%}
    {%- for name in names -%}
        {%- do values.append(name ~ '=' ~ var(name, none)) -%}
    {%- endfor -%}
    {{ return(values | join(';')) }}
{%- endmacro %}

{#- A seed row's columns as one text (null and empty alike, as the seeds load them). -#}
{% macro row_text(kind, columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- endfor -%}
    concat_ws('|', '{{ kind }}', {{ parts | join(', ') }})
{%- endmacro %}

{#- One row per schema that some workflow feeds: (schema_name, digest), the digest of
    its seed rows, the excluded volunteers and the counting vars. -#}
{% macro schema_configurations() -%}
    select
        schema_rows.schema_name,
        md5(concat_ws(
            '\n',
            {{ ordered_string_agg('schema_rows.row_text', "'\\n'", 'schema_rows.row_text') }},
            {{ sql_string(counting_vars()) }},
            (
                select coalesce(
                    {{ ordered_string_agg(
                        'cast(excluded.user_id as ' ~ dbt.type_string() ~ ')', "','", 'excluded.user_id'
                    ) }}, ''
                )
                from {{ ref('excluded_volunteers') }} as excluded
            )
        )) as digest
    from (
        select
            schema_name,
            {{ row_text('answer', [
                'question', 'question_text', 'answer', 'answer_text', 'answer_index',
                'parent_question', 'parent_answer',
            ]) }} as row_text
        from {{ ref('question_answer_schema') }}
        union all
        select
            schema_name,
            {{ row_text('alias', ['label_kind', 'label', 'question', 'answer']) }} as row_text
        from {{ ref('label_aliases') }}
        union all
        select
            schema_name,
            {{ row_text('workflow', [
                'workflow_id', 'min_workflow_version', 'max_workflow_version',
            ]) }} as row_text
        from {{ ref('workflow_schema') }}
    ) as schema_rows
    where schema_rows.schema_name in (select schema_name from {{ ref('workflow_schema') }})
    group by schema_rows.schema_name
{%- endmacro %}

{#- What decides which schema answer each vote of a workflow means: one row per workflow that
    feeds a schema and major version, (workflow_id, workflow_major, digest), the digest
    of its rows in int_answer_mapping (seeds, aliases and every landed minor version of that
    major), plus one row with a null workflow_major for its majors without question tasks.
    Look a vote's up with mapping_configuration(). -#}
{% macro mapping_configurations() -%}
    select
        mapping_rows.workflow_id,
        mapping_rows.workflow_major,
        md5({{ ordered_string_agg(
            'mapping_rows.row_text', "'\\n'", 'mapping_rows.row_text'
        ) }}) as digest
    from (
        select
            answer_mapping.workflow_id,
            answer_mapping.workflow_major,
            {{ row_text('mapping', [
                'answer_mapping.schema_name', 'answer_mapping.workflow_minor', 'answer_mapping.task',
                'answer_mapping.answer_index', 'answer_mapping.question', 'answer_mapping.answer',
                'answer_mapping.unmapped_reason',
            ]) }} as row_text
        from {{ ref('int_answer_mapping') }} as answer_mapping
        union all
        select
            workflow_schema.workflow_id,
            null as workflow_major,
            {{ row_text('schema', ['workflow_schema.schema_name']) }} as row_text
        from {{ ref('workflow_schema') }} as workflow_schema
    ) as mapping_rows
    group by mapping_rows.workflow_id, mapping_rows.workflow_major
{%- endmacro %}

{#- The two joins mapping_configuration() reads: mapping_configurations() (the relation
    `configurations`) as `by_major` on the workflow and major of `relation`, and as
    `by_workflow` on its workflow and a null major. -#}
{% macro join_mapping_configurations(relation, configurations) -%}
    left join {{ configurations }} as by_major
        on
            {{ relation }}.workflow_id = by_major.workflow_id
            and {{ relation }}.workflow_major = by_major.workflow_major
    left join {{ configurations }} as by_workflow
        on {{ relation }}.workflow_id = by_workflow.workflow_id and by_workflow.workflow_major is null
{%- endmacro %}

{#- A vote's mapping configuration, once join_mapping_configurations() has joined them. -#}
{% macro mapping_configuration() -%}
    coalesce(
        by_major.digest, by_workflow.digest, {{ no_schema_configuration() }}
    )
{%- endmacro %}

{#- One row per workflow that feeds a schema: (workflow_id, digest), the digest of the
    counting configurations of its schemas. -#}
{% macro workflow_configurations() -%}
    select
        workflow_schema.workflow_id,
        md5({{ ordered_string_agg(
            "workflow_schema.schema_name || ':' || schema_configuration.digest",
            "','", 'workflow_schema.schema_name'
        ) }}) as digest
    from {{ ref('workflow_schema') }} as workflow_schema
    inner join ({{ schema_configurations() }}) as schema_configuration
        on workflow_schema.schema_name = schema_configuration.schema_name
    group by workflow_schema.workflow_id
{%- endmacro %}

{% macro no_schema_configuration() -%}
    'no schema'
{%- endmacro %}

{#- Pre-hook of the models keyed by schema: deletes the rows built with a configuration that is
    no longer the schema's (or of a schema no longer fed), so that the model recomputes that
    schema whole (reconfigured_schemas) and keeps no subject the new configuration drops. The
    current configurations are the seeds' (schema_configurations) for the first model, and the
    `upstream` model's, built earlier in the same run, for those after it. With `schema_name`,
    for a model of one schema without a schema_name column. -#}
{% macro forget_changed_configuration(upstream=none, schema_name=none) -%}
    {%- if execute and is_incremental() -%}
        {%- if upstream is none -%}
            {%- set current = run_query(schema_configurations()) -%}
        {%- else -%}
            {%- set current = run_query(
                "select distinct schema_name, _configuration from " ~ upstream
            ) -%}
        {%- endif -%}
        {%- set kept = [] -%}
        {%- for row in current.rows -%}
            {%- if schema_name is none -%}
                {%- do kept.append(
                    "(schema_name = " ~ sql_string(row[0]) ~ " and _configuration = "
                    ~ sql_string(row[1]) ~ ")"
                ) -%}
            {%- elif row[0] == schema_name -%}
                {%- do kept.append("_configuration = " ~ sql_string(row[1])) -%}
            {%- endif -%}
        {%- endfor -%}
        delete from {{ this }} where not ({{ kept | join(' or ') if kept else 'false' }})
    {%- endif -%}
{%- endmacro %}

{#- The schemas of `upstream` (a relation with schema_name) that this model holds no row of,
    once forget_changed_configuration has run: new or reconfigured ones, whose every subject the
    run recomputes. -#}
{% macro reconfigured_schemas(upstream) -%}
    select distinct upstream.schema_name
    from {{ upstream }} as upstream
    where
        upstream.schema_name is not null
        and upstream.schema_name not in (
            select distinct built.schema_name from {{ this }} as built
        )
{%- endmacro %}

{#- Every (schema_name, subject_id) of `relation` in a schema this model recomputes whole: the
    schemas of the model's CTE `reconfigured_schemas`. A query of its own, joined by a union to
    the subjects with new rows, so that the new rows' filter stays a constant a scan prunes row
    groups by. -#}
{% macro subjects_of_reconfigured_schemas(relation) -%}
    select distinct
        {{ relation }}.schema_name,
        {{ relation }}.subject_id
    from {{ relation }}
    {{ semi_join() }} reconfigured_schemas using (schema_name)
{%- endmacro %}
