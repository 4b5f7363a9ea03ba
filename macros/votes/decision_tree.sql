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
