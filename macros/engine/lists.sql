{#- Lists (arrays) and structs, the same on both engines: the default__ versions are DuckDB's,
    the spark__ versions Spark SQL's. Lists are 1-based on both sides of every macro here
    (Spark's own indexing is 0-based). -#}

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

{#- The number of elements of a list. -#}
{% macro list_length(list) -%}
    {{ return(adapter.dispatch('list_length')(list)) }}
{%- endmacro %}

{% macro default__list_length(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro spark__list_length(list) -%}
    size({{ list }})
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
