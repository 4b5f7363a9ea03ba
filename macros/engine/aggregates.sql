{#- Aggregates and the pivot, the same on both engines: the default__ versions are DuckDB's,
    the spark__ versions Spark SQL's. -#}

{#- Aggregate: the list of `expression` over a group, ordered by `order_by` (one expression). -#}
{% macro ordered_list_agg(expression, order_by) -%}
    {{ return(adapter.dispatch('ordered_list_agg')(expression, order_by)) }}
{%- endmacro %}

{% macro default__ordered_list_agg(expression, order_by) -%}
    list({{ expression }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_list_agg(expression, order_by) -%}
    transform(
        array_sort(collect_list(named_struct('sort_key', {{ order_by }}, 'item', {{ expression }}))),
        entry -> entry.item
    )
{%- endmacro %}

{#- Aggregate: the text values of a group joined by `separator`, ordered by `order_by`. -#}
{% macro ordered_string_agg(expression, separator, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_agg')(expression, separator, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, separator, order_by) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(expression, separator, order_by) -%}
    array_join({{ ordered_list_agg(expression, order_by) }}, {{ separator }})
{%- endmacro %}

{#- Aggregate: the value of `value` on the row where `key` (a list of expressions, compared in
    order) is smallest (arg_min) or largest (arg_max). -#}
{% macro value_at_min(value, key) -%}
    {{ return(adapter.dispatch('value_at_extreme')(value, key, 'min')) }}
{%- endmacro %}

{% macro value_at_max(value, key) -%}
    {{ return(adapter.dispatch('value_at_extreme')(value, key, 'max')) }}
{%- endmacro %}

{% macro default__value_at_extreme(value, key, extreme) -%}
    arg_{{ extreme }}({{ value }}, ({{ key | join(', ') }}))
{%- endmacro %}

{% macro spark__value_at_extreme(value, key, extreme) -%}
    {{ extreme }}_by({{ value }}, struct({{ key | join(', ') }}))
{%- endmacro %}

{#- Aggregate: the product of a group's values. -#}
{% macro product_agg(expression) -%}
    {{ return(adapter.dispatch('product_agg')(expression)) }}
{%- endmacro %}

{% macro default__product_agg(expression) -%}
    product({{ expression }})
{%- endmacro %}

{% macro spark__product_agg(expression) -%}
    aggregate(collect_list(cast({{ expression }} as double)), 1.0D, (total, x) -> total * x)
{%- endmacro %}

{#- Aggregate: the exact `fraction` quantile (0 to 1) of a group's values, interpolated
    between the two nearest values as numpy's default does; nulls are left out. -#}
{% macro exact_quantile(expression, fraction) -%}
    {{ return(adapter.dispatch('exact_quantile')(expression, fraction)) }}
{%- endmacro %}

{% macro default__exact_quantile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__exact_quantile(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- Aggregate: the distinct values of a group, sorted, as a list. -#}
{% macro sorted_set_agg(expression) -%}
    {{ return(adapter.dispatch('sorted_set_agg')(expression)) }}
{%- endmacro %}

{% macro default__sorted_set_agg(expression) -%}
    list_sort(list_distinct(list({{ expression }})))
{%- endmacro %}

{% macro spark__sorted_set_agg(expression) -%}
    array_sort(collect_set({{ expression }}))
{%- endmacro %}

{#- The rows of `source` (SQL: `group_column`, the `columns`, `key_column`) pivoted on the
    values `keys` of `key_column`: one row per `group_column`, and per key and column the
    column "<key>_<column>" holding max(column) over the rows with that key. -#}
{% macro pivot_max(source, key_column, keys, columns, group_column) -%}
    {{ return(adapter.dispatch('pivot_max')(source, key_column, keys, columns, group_column)) }}
{%- endmacro %}

{% macro default__pivot_max(source, key_column, keys, columns, group_column) -%}
    pivot ({{ source }})
    on {{ key_column }} in (
        {%- for key in keys %}
        {{ sql_string(key) }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
    using
        {%- for column in columns %}
        max({{ column }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    group by {{ group_column }}
{%- endmacro %}

{#- Spark groups by the source's other columns, which here are the group column alone. -#}
{% macro spark__pivot_max(source, key_column, keys, columns, group_column) -%}
    select *
    from ({{ source }}) as pivot_source
    pivot (
        {%- for column in columns %}
        max({{ column }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
        for {{ key_column }} in (
            {%- for key in keys %}
            {{ sql_string(key) }} as {{ quoted_identifier(key) }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
    )
{%- endmacro %}
