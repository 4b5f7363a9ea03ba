{#- A classification's annotations: its tasks and the answer indices chosen. -#}

{#- The annotations of a classification as a list of (task, value) structs, value kept as JSON. -#}
{% macro annotation_list(column) -%}
    {{ return(adapter.dispatch('annotation_list')(column)) }}
{%- endmacro %}

{% macro default__annotation_list(column) -%}
    from_json({{ column }}, '[{"task": "VARCHAR", "value": "JSON"}]')
{%- endmacro %}

{#- Spark keeps a value it reads as a string field as its JSON text. -#}
{% macro spark__annotation_list(column) -%}
    from_json({{ column }}, 'array<struct<task: string, value: string>>')
{%- endmacro %}

{#- Answer indices of an annotation value: an index (single choice) becomes a one-element list,
    a list of indices (multiple choice, shortcut) stays a list, null or anything else gives an
    empty list. -#}
{% macro annotation_answer_indices(value) -%}
    {{ return(adapter.dispatch('annotation_answer_indices')(value)) }}
{%- endmacro %}

{% macro default__annotation_answer_indices(value) -%}
    case json_type({{ value }})
        when 'UBIGINT' then [try_cast(({{ value }})::varchar as bigint)]
        when 'ARRAY' then coalesce(try_cast(({{ value }})::json as bigint []), [])
        else []::bigint []
    end
{%- endmacro %}

{#- The value is JSON text here (annotation_list keeps it so): a whole number or a list of
    whole numbers, as DuckDB reads them; anything else gives an empty list. -#}
{% macro spark__annotation_answer_indices(value) -%}
    case
        when {{ value }} rlike '^[0-9]+$' then array(cast({{ value }} as bigint))
        when {{ value }} rlike '^\\[\\s*(-?[0-9]+\\s*(,\\s*-?[0-9]+\\s*)*)?\\]$'
            then from_json({{ value }}, 'array<bigint>')
        else cast(array() as array<bigint>)
    end
{%- endmacro %}
