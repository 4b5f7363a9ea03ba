{#- Small pieces of SQL that the engines spell differently. Models call these macros; the
    default__ versions are DuckDB's, the spark__ versions Spark SQL's (Spark 4). -#}

{#- A common table expression read more than once with a filter on each use: DuckDB would
    materialise it and lose the filters' pushdown, so it is marked not materialized. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro spark__not_materialized() -%}
{%- endmacro %}

{#- A CTE computed once before the query that uses it. For the keys an incremental run
    recomputes (few rows, which DuckDB cannot estimate from `_loaded_at > mark`): inlined, its
    semi join was turned round to hash the whole history and ran out of memory at 16M. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}

{#- Rows of the left side with (semi_join) or without (anti_join) a match on the right. -#}
{% macro semi_join() -%}
    {{ return(adapter.dispatch('semi_join')()) }}
{%- endmacro %}

{% macro default__semi_join() -%}
    semi join
{%- endmacro %}

{% macro spark__semi_join() -%}
    left semi join
{%- endmacro %}

{% macro anti_join() -%}
    {{ return(adapter.dispatch('anti_join')()) }}
{%- endmacro %}

{% macro default__anti_join() -%}
    anti join
{%- endmacro %}

{% macro spark__anti_join() -%}
    left anti join
{%- endmacro %}

{#- `with`, allowing a recursive common table expression where the engine has them. -#}
{% macro with_recursive() -%}
    {{ return(adapter.dispatch('with_recursive')()) }}
{%- endmacro %}

{% macro default__with_recursive() -%}
    with recursive
{%- endmacro %}

{% macro spark__with_recursive() -%}
    with
{%- endmacro %}

{#- A timestamp before every other: the high-water mark of an empty model. -#}
{% macro earliest_timestamp() -%}
    {{ return(adapter.dispatch('earliest_timestamp')()) }}
{%- endmacro %}

{% macro default__earliest_timestamp() -%}
    '-infinity'::timestamp
{%- endmacro %}

{% macro spark__earliest_timestamp() -%}
    timestamp '0001-01-01 00:00:00'
{%- endmacro %}

{#- Every match of a regular expression replaced (the pattern in the engines' common syntax). -#}
{% macro replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('replace_all')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{#- Spark reads backslashes in string literals as escapes: the pattern's are doubled. -#}
{% macro spark__replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern | replace('\\', '\\\\') }}, {{ replacement }})
{%- endmacro %}

{#- A quoted identifier for any name (names from seeds and vars can hold any character). -#}
{% macro quoted_identifier(name) -%}
    {{ return(adapter.dispatch('quoted_identifier')(name | string)) }}
{%- endmacro %}

{% macro default__quoted_identifier(name) -%}
    "{{ name | replace('"', '""') }}"
{%- endmacro %}

{% macro spark__quoted_identifier(name) -%}
    `{{ name | replace('`', '``') }}`
{%- endmacro %}

{#- A SQL string literal: values from seeds never break out of the literal. -#}
{% macro sql_string(value) -%}
    {{ return(adapter.dispatch('sql_string')(value | string)) }}
{%- endmacro %}

{% macro default__sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

{#- Spark escapes with backslashes. -#}
{% macro spark__sql_string(value) -%}
    '{{ value | replace('\\', '\\\\') | replace("'", "\\'") }}'
{%- endmacro %}

{#- `left` equals `right`, two nulls included (a volunteer key whose null means anonymous). -#}
{% macro null_safe_equal(left, right) -%}
    {{ return(adapter.dispatch('null_safe_equal')(left, right)) }}
{%- endmacro %}

{% macro default__null_safe_equal(left, right) -%}
    {{ left }} is not distinct from {{ right }}
{%- endmacro %}

{% macro spark__null_safe_equal(left, right) -%}
    {{ left }} <=> {{ right }}
{%- endmacro %}
