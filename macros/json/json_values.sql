{#- JSON text as each engine holds it: DuckDB's json type, Spark's strings. -#}

{#- JSON text as the engine's JSON type (DuckDB's json; Spark keeps JSON as text). -#}
{% macro as_json(column) -%}
    {{ return(adapter.dispatch('as_json')(column)) }}
{%- endmacro %}

{% macro default__as_json(column) -%}
    {{ column }}::json
{%- endmacro %}

{% macro spark__as_json(column) -%}
    {{ column }}
{%- endmacro %}

{#- A JSON object of strings as a map (null when it is not one). -#}
{% macro json_string_map(column) -%}
    {{ return(adapter.dispatch('json_string_map')(column)) }}
{%- endmacro %}

{% macro default__json_string_map(column) -%}
    try_cast({{ column }} as map (varchar, varchar))
{%- endmacro %}

{% macro spark__json_string_map(column) -%}
    from_json({{ column }}, 'map<string, string>')
{%- endmacro %}

{#- Keys of a JSON object, in order. -#}
{% macro json_object_keys(column) -%}
    {{ return(adapter.dispatch('json_object_keys')(column)) }}
{%- endmacro %}

{% macro default__json_object_keys(column) -%}
    json_keys({{ column }})
{%- endmacro %}

{% macro spark__json_object_keys(column) -%}
    json_object_keys({{ column }})
{%- endmacro %}

{#- A text or number value at a JSON path (`$.options.count`) of JSON text, as text; null when
    the path is absent. -#}
{% macro json_text_at(column, path) -%}
    {{ return(adapter.dispatch('json_text_at')(column, path)) }}
{%- endmacro %}

{% macro default__json_text_at(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_text_at(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}
