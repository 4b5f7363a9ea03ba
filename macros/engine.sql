{#- SQL that differs between the engines the models run on. Models call these macros; the
    default__ versions are DuckDB's, the spark__ versions Spark SQL's (Spark 4). Lists are
    1-based on both sides of every macro here (Spark's own indexing is 0-based). -#}

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

{#- Element `position` (1-based) of a list; null past its end. -#}
{% macro list_element(list, position) -%}
    {{ return(adapter.dispatch('list_element')(list, position)) }}
{%- endmacro %}

{% macro default__list_element(list, position) -%}
    ({{ list }})[{{ position }}]
{%- endmacro %}

{% macro spark__list_element(list, position) -%}
    try_element_at({{ list }}, cast({{ position }} as int))
{%- endmacro %}

{#- A list literal from SQL expressions: list_of(['a', 'b']). -#}
{% macro list_of(items) -%}
    {{ return(adapter.dispatch('list_of')(items)) }}
{%- endmacro %}

{% macro default__list_of(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}

{% macro spark__list_of(items) -%}
    array({{ items | join(', ') }})
{%- endmacro %}

{#- An empty list of a SQL type. -#}
{% macro empty_list(type) -%}
    {{ return(adapter.dispatch('empty_list')(type)) }}
{%- endmacro %}

{% macro default__empty_list(type) -%}
    []::{{ type }}[]
{%- endmacro %}

{% macro spark__empty_list(type) -%}
    cast(array() as array<{{ type }}>)
{%- endmacro %}

{#- Each element of a list through `expression`, in which `variable` names the element. -#}
{% macro list_map(list, variable, expression) -%}
    {{ return(adapter.dispatch('list_map')(list, variable, expression)) }}
{%- endmacro %}

{% macro default__list_map(list, variable, expression) -%}
    list_transform({{ list }}, lambda {{ variable }}: {{ expression }})
{%- endmacro %}

{% macro spark__list_map(list, variable, expression) -%}
    transform({{ list }}, {{ variable }} -> {{ expression }})
{%- endmacro %}

{#- A list without repeated elements. -#}
{% macro list_unique(list) -%}
    {{ return(adapter.dispatch('list_unique')(list)) }}
{%- endmacro %}

{% macro default__list_unique(list) -%}
    list_distinct({{ list }})
{%- endmacro %}

{% macro spark__list_unique(list) -%}
    array_distinct({{ list }})
{%- endmacro %}

{#- The 1-based position of the first element equal to `value`; null when there is none. -#}
{% macro list_index_of(list, value) -%}
    {{ return(adapter.dispatch('list_index_of')(list, value)) }}
{%- endmacro %}

{% macro default__list_index_of(list, value) -%}
    list_position({{ list }}, {{ value }})
{%- endmacro %}

{% macro spark__list_index_of(list, value) -%}
    nullif(array_position({{ list }}, {{ value }}), 0)
{%- endmacro %}

{#- Select-list items: one row per element of a list, as `element`, with its 0-based index as
    `index` (none for an empty or null list). -#}
{% macro unnest_with_index(list, index, element) -%}
    {{ return(adapter.dispatch('unnest_with_index')(list, index, element)) }}
{%- endmacro %}

{% macro default__unnest_with_index(list, index, element) -%}
    unnest(range(len({{ list }}))) as {{ index }},
    unnest({{ list }}) as {{ element }}
{%- endmacro %}

{% macro spark__unnest_with_index(list, index, element) -%}
    posexplode({{ list }}) as ({{ index }}, {{ element }})
{%- endmacro %}

{#- A select-list item: one row per element of a list (none for an empty or null list). -#}
{% macro unnest_list(list) -%}
    {{ return(adapter.dispatch('unnest_list')(list)) }}
{%- endmacro %}

{% macro default__unnest_list(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__unnest_list(list) -%}
    explode({{ list }})
{%- endmacro %}

{#- A struct from named SQL expressions: make_struct({'question': 'q', 'answer': 'a'}). -#}
{% macro make_struct(fields) -%}
    {{ return(adapter.dispatch('make_struct')(fields)) }}
{%- endmacro %}

{% macro default__make_struct(fields) -%}
    struct_pack({% for name, expression in fields.items() %}{{ name }} := {{ expression }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro spark__make_struct(fields) -%}
    named_struct({% for name, expression in fields.items() %}'{{ name }}', {{ expression }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

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

{#- A model that replaces its rows by unique key on each run where the engine's table format
    can (DuckDB; Spark on Delta or Iceberg), and is rebuilt whole where it cannot (Spark's
    plain parquet tables only append or overwrite). -#}
{% macro incremental_where_supported() -%}
    {{ return(adapter.dispatch('incremental_where_supported')()) }}
{%- endmacro %}

{% macro default__incremental_where_supported() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_where_supported() -%}
    {%- set table_format = env_var('WAREHOUSE_SPARK_FILE_FORMAT', 'parquet') -%}
    {{ return('incremental' if table_format in ('delta', 'iceberg', 'hudi') else 'table') }}
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

{#- An incremental model's unique key. DuckDB replaces all rows of each key the run recomputes
    (delete+insert), so a group key will do (a subject, a classification); a merge (Spark on
    Delta or Iceberg) matches row by row, so there it is the key of one row. -#}
{% macro incremental_key(group_key, row_key) -%}
    {{ return(adapter.dispatch('incremental_key')(group_key, row_key)) }}
{%- endmacro %}

{% macro default__incremental_key(group_key, row_key) -%}
    {{ return(group_key) }}
{%- endmacro %}

{% macro spark__incremental_key(group_key, row_key) -%}
    {{ return(row_key) }}
{%- endmacro %}
