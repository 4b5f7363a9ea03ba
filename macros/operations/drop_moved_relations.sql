{#- `dbt run-operation drop_moved_relations` (once, after the first build with one schema per
    layer): drops what earlier builds left in the target schema under the name of a model or
    seed of this project that now lives in a schema of its own, so that `select * from flat`
    fails instead of reading a stale copy. `--args '{dry_run: true}'` only lists them. -#}
{% macro drop_moved_relations(dry_run=false) %}
    {%- set dropped = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type in ('model', 'seed') and node.package_name == project_name
        and node.schema != target.schema -%}
        {%- set stale = adapter.get_relation(target.database, target.schema, node.alias) -%}
        {%- if stale is not none -%}
            {{ log(("would drop " if dry_run else "dropping ") ~ stale ~ " (now "
                ~ node.schema ~ "." ~ node.alias ~ ")", info=true) }}
            {%- if not dry_run -%}
                {%- do adapter.drop_relation(stale) -%}
                {%- do dropped.append(stale) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {#- run-operation leaves its transaction open: the drops are committed here -#}
    {%- if dropped -%}
        {%- do run_query('commit') -%}
    {%- endif -%}
{% endmacro %}
