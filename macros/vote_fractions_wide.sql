{#- A schema's catalogue: one row per subject in the Galaxy Zoo column convention, built from
    vote_counts and the schema's seed rows. Per question, in seed order:
    "{question}_total-votes", then per answer "{question}_{answer}" (votes) and
    "{question}_{answer}_fraction". A campaign's model is one line:
    {{ vote_fractions_wide('gz_decals_dr5') }}
    Incremental like vote_counts: recomputes subjects with new votes or a new subject record.
    After changing a schema's seed rows, rebuild it with --full-refresh. -#}
{% macro vote_fractions_wide(schema_name) %}
{{
    config(
        materialized='incremental',
        unique_key='subject_id',
    )
}}
-- depends_on: {{ ref('question_answer_schema') }}
{%- set questions = schema_questions(schema_name) %}

with vote_counts as (
    select *
    from {{ ref('vote_counts') }}
    where schema_name = {{ sql_string(schema_name) }}
),

subjects as (
    select * from {{ ref('subjects') }}
),

changed_subjects as (
    select distinct subject_id
    from vote_counts
    {% if is_incremental() %}
        where _loaded_at > (
            select coalesce(max(_loaded_at), '-infinity'::timestamp) from {{ this }}
        )
        union
        select subjects.subject_id
        from subjects
        semi join vote_counts using (subject_id)
        where subjects._loaded_at > (
            select coalesce(max(_loaded_at), '-infinity'::timestamp) from {{ this }}
        )
    {% endif %}
),

pivoted as (
    select
        vote_counts.subject_id,
        {%- for question, answers in questions %}
        max(vote_counts.total_votes) filter (
            where vote_counts.question = {{ sql_string(question) }}
        ) as {{ adapter.quote(question ~ '_total-votes') }},
            {%- for answer in answers %}
        max(vote_counts.votes) filter (
            where vote_counts.question = {{ sql_string(question) }}
            and vote_counts.answer = {{ sql_string(answer) }}
        ) as {{ adapter.quote(question ~ '_' ~ answer) }},
        max(vote_counts.vote_fraction) filter (
            where vote_counts.question = {{ sql_string(question) }}
            and vote_counts.answer = {{ sql_string(answer) }}
        ) as {{ adapter.quote(question ~ '_' ~ answer ~ '_fraction') }},
            {%- endfor %}
        {%- endfor %}
    from vote_counts
    semi join changed_subjects using (subject_id)
    group by vote_counts.subject_id
),

final as (
    select
        subjects.iauname,
        subjects.ra,
        subjects.dec,
        pivoted.subject_id,
        subjects.image_url,
        pivoted.* exclude (subject_id),
        cast('{{ run_started_at }}' as timestamp) as _loaded_at
    from pivoted
    left join subjects using (subject_id)
)

select * from final
{% endmacro %}

{#- [(question, [answer, ...]), ...] of a schema, in seed order, read when the model compiles.
    Before `dbt seed` has loaded the seed (dbt compile or sqlfluff on a fresh checkout), the
    seed file itself is read. -#}
{% macro schema_questions(schema_name) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set seed = ref('question_answer_schema') -%}
    {%- set where = " where schema_name = " ~ sql_string(schema_name) -%}
    {%- if adapter.get_relation(seed.database, seed.schema, seed.identifier) is not none -%}
        {%- set query = "select question, answer from " ~ seed ~ where
            ~ " order by " ~ seed_row_order() -%}
    {%- else -%}
        {%- set query = "select question, answer from read_csv("
            ~ "'seeds/question_answer_schema.csv', header = true)" ~ where -%}
    {%- endif -%}
    {%- set rows = run_query(query).rows -%}
    {%- if rows | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "question_answer_schema has no rows for schema '" ~ schema_name ~ "'"
        ) }}
    {%- endif -%}
    {%- set questions = [] -%}
    {%- set answers_of = {} -%}
    {%- for row in rows -%}
        {%- if row[0] not in answers_of -%}
            {%- do questions.append(row[0]) -%}
            {%- do answers_of.update({row[0]: []}) -%}
        {%- endif -%}
        {%- do answers_of[row[0]].append(row[1]) -%}
    {%- endfor -%}
    {%- set result = [] -%}
    {%- for question in questions -%}
        {%- do result.append((question, answers_of[question])) -%}
    {%- endfor -%}
    {{ return(result) }}
{% endmacro %}

{#- The order rows of a seed were loaded in (the seed file's order). -#}
{% macro seed_row_order() -%}
    {{ return(adapter.dispatch('seed_row_order')()) }}
{%- endmacro %}

{% macro default__seed_row_order() -%}
    rowid
{%- endmacro %}
