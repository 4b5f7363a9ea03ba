{#- The end of the query of a mart published in subject buckets: its rows in subject order, so
    that each row group holds a narrow range of subject ids and publishing a bucket (a COPY of
    its range) reads that bucket's row groups alone, skipping the rest by their statistics. An
    incremental run's rows are inserted in that order too, after the rows kept. Nothing on
    Spark, whose tables are not published from. -#}
{% macro in_subject_order() -%}
    {{ return(adapter.dispatch('in_subject_order')()) }}
{%- endmacro %}

{% macro default__in_subject_order() -%}
    {{ return('order by subject_id') }}
{%- endmacro %}

{% macro spark__in_subject_order() -%}
    {{ return('') }}
{%- endmacro %}
