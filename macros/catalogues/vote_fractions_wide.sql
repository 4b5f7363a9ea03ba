{#- A schema's catalogue: one row per subject in the Galaxy Zoo column convention, built from
    vote_counts, question_predictions and the schema's seed rows. Per question, in seed order:
    "{question}_total-votes", "{question}_proportion_volunteers_asked" (its total votes over
    the first question's), "{question}_prediction", "{question}_prediction-conf"; then per
    answer "{question}_{answer}" (votes), "{question}_{answer}_fraction",
    "{question}_{answer}_fraction_min" and "_fraction_max" (Wilson interval at
    var('fraction_interval_level')), "{question}_{answer}_weighted_fraction" (volunteers
    weighted as in GZ2) and "{question}_{answer}_cumulative" (the fraction of volunteers who
    gave that answer along its path down the tree). A subject enters once its
    most answered question has var('catalogue_min_total_votes') votes. A campaign's model
    (models/marts/<schema>_vote_fractions.sql) is its config and one call:
    {{ vote_fractions_wide('gz_decals_dr5') }}
    Incremental when the model is (unique key subject_id): a run recomputes the subjects with
    new votes or a new subject record, and every subject when the schema's configuration
    changed (macros/votes/configuration.sql); a changed set of columns follows the seed, in
    seed order. A run that finds its inputs as the last build left them writes nothing
    (meta skip_unchanged_inputs: macros/engine/unchanged_inputs.sql). -#}
{% macro vote_fractions_wide(schema_name) %}
-- depends_on: {{ ref('question_answer_schema') }}
{{ config(
    on_schema_change='sync_all_columns',
    pre_hook="{{ forget_changed_configuration(ref('question_predictions'), "
        ~ (schema_name | tojson) ~ ") }}",
    post_hook=[
        "{{ keep_column_order(" ~ (schema_name | tojson) ~ ") }}", "{{ remember_inputs() }}",
    ],
    meta={'skip_unchanged_inputs': true, 'publish_in_subject_buckets': true},
) }}
{%- set questions = schema_questions(schema_name) %}
{%- set per_answer = [
    ('votes', ''), ('vote_fraction', '_fraction'), ('vote_fraction_lower', '_fraction_min'),
    ('vote_fraction_upper', '_fraction_max'), ('weighted_vote_fraction', '_weighted_fraction'),
    ('cumulative_fraction', '_cumulative'),
] %}
{#- The pivot's key per answer, "question|answer" (PIVOT names its columns "<key>_<column>"). -#}
{%- set answer_columns = [] %}
{%- for question, answers in questions %}
    {%- for answer in answers %}
        {%- if '|' in question or '|' in answer %}
            {{ exceptions.raise_compiler_error(
                "question and answer names may not contain '|': " ~ question ~ " / " ~ answer
            ) }}
        {%- endif %}
        {%- do answer_columns.append((question, answer, question ~ '|' ~ answer)) %}
    {%- endfor %}
{%- endfor %}

-- vote_counts and subjects are not materialized: each use filters them, and the filter must
-- reach the scan (a materialized copy of every vote row cost a second at a million).
with vote_counts as {{ not_materialized() }} (
    select *
    from {{ ref('vote_counts') }}
    where vote_counts.schema_name = {{ sql_string(schema_name) }}
),

predictions as (
    select *
    from {{ ref('question_predictions') }}
    where question_predictions.schema_name = {{ sql_string(schema_name) }}
),

subjects as {{ not_materialized() }} (
    select * from {{ ref('subjects') }}
),

changed_subjects as (
    select distinct vote_counts.subject_id
    from vote_counts
    {% if is_incremental() %}
        where vote_counts._loaded_at > {{ high_water_mark('_loaded_at') }}
        -- emptied by forget_changed_configuration: the configuration changed. Apart, not an
        -- OR: the mark is a constant a scan prunes row groups by
        union
        select vote_counts.subject_id
        from vote_counts
        where not exists (select 1 from {{ this }} as previous_runs)
        union
        select subjects.subject_id
        from subjects
        {{ semi_join() }} vote_counts using (subject_id)
        where subjects._loaded_at > {{ high_water_mark('_loaded_at') }}
    {% endif %}
),

catalogued_subjects as (
    select vote_counts.subject_id
    from vote_counts
    {{ semi_join() }} changed_subjects using (subject_id)
    group by vote_counts.subject_id
    having
        max(vote_counts.total_votes)
        >= {{ numeric_var('catalogue_min_total_votes', 0, integer=true, minimum=0) }}
),

-- One PIVOT (the IN list fixed when the model compiles) groups once and fills every column
-- from one pass; one filtered aggregate per column was five times slower on DuckDB.
answers_pivoted as (
    {% set answer_values -%}
        select
            vote_counts.subject_id,
            {%- for column, suffix in per_answer %}
            vote_counts.{{ column }},
            {%- endfor %}
            vote_counts.question || '|' || vote_counts.answer as question_answer
        from vote_counts
        {{ semi_join() }} catalogued_subjects using (subject_id)
    {%- endset %}
    {{ pivot_max(
        answer_values, 'question_answer', answer_columns | map(attribute=2) | list,
        per_answer | map(attribute=0) | list, 'subject_id'
    ) }}
),

questions_pivoted as (
    select
        predictions.subject_id,
        {%- for question, answers in questions %}
        max(predictions.total_votes) filter (
            where predictions.question = {{ sql_string(question) }}
        ) as {{ quoted_identifier(question ~ '_total-votes') }},
        max(predictions.prediction) filter (
            where predictions.question = {{ sql_string(question) }}
        ) as {{ quoted_identifier(question ~ '_prediction') }},
        max(predictions.prediction_conf) filter (
            where predictions.question = {{ sql_string(question) }}
        ) as {{ quoted_identifier(question ~ '_prediction-conf') }},
        {%- endfor %}
        max(predictions._configuration) as _configuration
    from predictions
    {{ semi_join() }} catalogued_subjects using (subject_id)
    group by predictions.subject_id
),

final as (
    select
        subjects.iauname,
        subjects.ra,
        subjects.dec,
        questions_pivoted.subject_id,
        subjects.image_url,
        {%- for question, answers in questions %}
        questions_pivoted.{{ quoted_identifier(question ~ '_total-votes') }},
        cast(questions_pivoted.{{ quoted_identifier(question ~ '_total-votes') }} as double)
        / nullif(questions_pivoted.{{ quoted_identifier(questions[0][0] ~ '_total-votes') }}, 0)
            as {{ quoted_identifier(question ~ '_proportion_volunteers_asked') }},
        questions_pivoted.{{ quoted_identifier(question ~ '_prediction') }},
        questions_pivoted.{{ quoted_identifier(question ~ '_prediction-conf') }},
            {%- for answer_question, answer, key in answer_columns
                if answer_question == question %}
                {%- for column, suffix in per_answer %}
        answers_pivoted.{{ quoted_identifier(key ~ '_' ~ column) }}
            as {{ quoted_identifier(question ~ '_' ~ answer ~ suffix) }},
                {%- endfor %}
            {%- endfor %}
        {%- endfor %}
        questions_pivoted._configuration,
        {{ run_started_timestamp() }} as _loaded_at
    from questions_pivoted
    inner join answers_pivoted using (subject_id)
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

{#- The columns of a schema's catalogue, in order. -#}
{% macro vote_fractions_wide_columns(schema_name) %}
    {%- set columns = ['iauname', 'ra', 'dec', 'subject_id', 'image_url'] -%}
    {%- for question, answers in schema_questions(schema_name) -%}
        {%- do columns.extend([
            question ~ '_total-votes', question ~ '_proportion_volunteers_asked',
            question ~ '_prediction', question ~ '_prediction-conf',
        ]) -%}
        {%- for answer in answers -%}
            {%- for suffix in [
                '', '_fraction', '_fraction_min', '_fraction_max', '_weighted_fraction',
                '_cumulative',
            ] -%}
                {%- do columns.append(question ~ '_' ~ answer ~ suffix) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- do columns.extend(['_configuration', '_loaded_at']) -%}
    {{ return(columns) }}
{% endmacro %}

{#- Post-hook of a schema's catalogue: after a seed change added or dropped columns (appended at
    the end by on_schema_change), put them back in seed order, as a full rebuild would. -#}
{% macro keep_column_order(schema_name) -%}
    {%- if execute and is_incremental() -%}
        {{ reorder_columns(vote_fractions_wide_columns(schema_name)) }}
    {%- endif -%}
{%- endmacro %}
