{#- The decision tree of a seeded schema. -#}

{#- Common table expression(s) ending in `ancestry`: for every question below the root, each
    (question, answer) pair a volunteer must have given to reach it, with its depth (1 for the
    parent), from `questions` (schema_name, question, parent_question, parent_answer). -#}
{% macro question_ancestry(questions) -%}
    {{ return(adapter.dispatch('question_ancestry')(questions)) }}
{%- endmacro %}

{% macro default__question_ancestry(questions) -%}
ancestry (schema_name, question, ancestor_question, ancestor_answer, depth) as (
    select
        schema_name,
        question,
        parent_question,
        parent_answer,
        1
    from {{ questions }}
    where parent_question is not null
    union all
    select
        ancestry.schema_name,
        ancestry.question,
        parent.parent_question,
        parent.parent_answer,
        ancestry.depth + 1
    from ancestry
    inner join {{ questions }} as parent
        on
            ancestry.schema_name = parent.schema_name
            and ancestry.ancestor_question = parent.question
    where parent.parent_question is not null and ancestry.depth < 50
)
{%- endmacro %}

{#- Spark 4.0 has no recursive common table expressions: one join per level, to a depth
    deeper than any Galaxy Zoo tree (the deepest seeded one has 6 levels). -#}
{% macro spark__question_ancestry(questions, max_depth=12) -%}
ancestry_1 as (
    select
        schema_name,
        question,
        parent_question as ancestor_question,
        parent_answer as ancestor_answer,
        1 as depth
    from {{ questions }}
    where parent_question is not null
),
{%- for depth in range(2, max_depth + 1) %}

ancestry_{{ depth }} as (
    select
        ancestry.schema_name,
        ancestry.question,
        parent.parent_question as ancestor_question,
        parent.parent_answer as ancestor_answer,
        {{ depth }} as depth
    from ancestry_{{ depth - 1 }} as ancestry
    inner join {{ questions }} as parent
        on
            ancestry.schema_name = parent.schema_name
            and ancestry.ancestor_question = parent.question
    where parent.parent_question is not null
),
{%- endfor %}

ancestry as (
    {%- for depth in range(1, max_depth + 1) %}
    select * from ancestry_{{ depth }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)
{%- endmacro %}

{#- The SQL type of a (question, answer) pair. -#}
{% macro question_answer_pair_type() -%}
    {{ return(adapter.dispatch('question_answer_pair_type')()) }}
{%- endmacro %}

{% macro default__question_answer_pair_type() -%}
    struct(question varchar, answer varchar)
{%- endmacro %}

{% macro spark__question_answer_pair_type() -%}
    struct<question: string, answer: string>
{%- endmacro %}

{#- Common table expression(s) ending in `reachable`: for each workflow version, every task
    reachable from each task by one or more `next` links, from `edges` (workflow_id,
    workflow_major, workflow_minor, from_task, to_task). Needs `with_recursive()` before the
    first common table expression of the query. -#}
{% macro task_reachability(edges) -%}
    {{ return(adapter.dispatch('task_reachability')(edges)) }}
{%- endmacro %}

{#- Set semantics (union, not union all) end the recursion on cycles. -#}
{% macro default__task_reachability(edges) -%}
reachable (workflow_id, workflow_major, workflow_minor, from_task, to_task) as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        from_task,
        to_task
    from {{ edges }}
    union
    select
        reachable.workflow_id,
        reachable.workflow_major,
        reachable.workflow_minor,
        reachable.from_task,
        edge.to_task
    from reachable
    inner join {{ edges }} as edge
        on
            reachable.workflow_id = edge.workflow_id
            and reachable.workflow_major = edge.workflow_major
            and reachable.workflow_minor = edge.workflow_minor
            and reachable.to_task = edge.from_task
)
{%- endmacro %}

{#- Spark 4.0 has no recursive common table expressions, and one join per step is a plan too
    large to be quick: each version's links are gathered into a list, and each task's reach
    is grown through it step by step by array functions, up to 32 links (the longest path of a
    Galaxy Zoo workflow has 8). -#}
{% macro spark__task_reachability(edges, max_steps=32) -%}
reachable_links as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        collect_list(named_struct('from_task', from_task, 'to_task', to_task)) as version_links
    from {{ edges }}
    group by workflow_id, workflow_major, workflow_minor
),

reachable_starts as (
    select distinct
        edge.workflow_id,
        edge.workflow_major,
        edge.workflow_minor,
        edge.from_task,
        reachable_links.version_links
    from {{ edges }} as edge
    inner join reachable_links
        on
            edge.workflow_id = reachable_links.workflow_id
            and edge.workflow_major = reachable_links.workflow_major
            and edge.workflow_minor = reachable_links.workflow_minor
),

reachable as (
    select
        workflow_id,
        workflow_major,
        workflow_minor,
        from_task,
        explode(aggregate(
            sequence(2, {{ max_steps }}),
            transform(
                filter(version_links, link -> link.from_task = from_task), link -> link.to_task
            ),
            (found, step) -> array_distinct(concat(
                found,
                transform(
                    filter(version_links, link -> array_contains(found, link.from_task)),
                    link -> link.to_task
                )
            ))
        )) as to_task
    from reachable_starts
)
{%- endmacro %}
