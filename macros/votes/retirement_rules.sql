{#- What the retirement replay was built with, so that a plain `dbt build` replays again after
    a change of the rules or of how votes count.

    Each workflow with rules has a digest of its rows in retirement_rules and of the counting
    configuration of its schemas (workflow_configurations: the seeds and vars votes count by).
    retirement_replay stores it in `_configuration`; a build drops the rows of a workflow whose
    digest changed (pre-hook forget_changed_retirement_rules) and replays all of that workflow's
    subjects, and no other workflow's. -#}

{#- One row per workflow with retirement rules: (workflow_id, digest). -#}
{% macro retirement_rule_configurations() -%}
    select
        rules.workflow_id,
        md5(concat_ws(
            '\n',
            {{ ordered_string_agg('rules.row_text', "'\\n'", 'rules.row_text') }},
            coalesce(max(workflow_configuration.digest), {{ no_schema_configuration() }})
        )) as digest
    from (
        select
            workflow_id,
            {{ row_text('rule', [
                'rule_name', 'kind', 'question', 'answer', 'threshold', 'min_classifications',
            ]) }} as row_text
        from {{ ref('retirement_rules') }}
    ) as rules
    left join ({{ workflow_configurations() }}) as workflow_configuration
        on rules.workflow_id = workflow_configuration.workflow_id
    group by rules.workflow_id
{%- endmacro %}

{#- Pre-hook of retirement_replay: deletes the rows built with a configuration that is no
    longer their workflow's (or of a workflow that no longer has rules), so that the model
    replays that workflow's subjects anew. -#}
{% macro forget_changed_retirement_rules() -%}
    {%- if execute and is_incremental() -%}
        {%- set current = run_query(retirement_rule_configurations()) -%}
        {%- set kept = [] -%}
        {%- for row in current.rows -%}
            {%- do kept.append(
                "(workflow_id = " ~ row[0] ~ " and _configuration = " ~ sql_string(row[1]) ~ ")"
            ) -%}
        {%- endfor -%}
        delete from {{ this }} where not ({{ kept | join(' or ') if kept else 'false' }})
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of retirement_replay, after forget_changed_retirement_rules: deletes the rows of
    the subjects with votes newer than the model's, which the run replays. A delete+insert would
    only replace the subjects the replay writes rows for, and a subject can lose its last counted
    classification of a rule's workflow to one landed since in another workflow of its schema
    (the repeat policy keeps one per volunteer): its old rows must go all the same. -#}
{% macro forget_replayed_subjects_with_new_votes() -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} as built
        where exists (
            select 1
            from {{ ref('flat') }} as flat
            where
                flat._loaded_at > {{ high_water_mark('_loaded_at') }}
                and flat.schema_name = built.schema_name
                and flat.subject_id = built.subject_id
        )
    {%- endif -%}
{%- endmacro %}
