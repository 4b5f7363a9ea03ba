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
    empty list. Given `option_values` (SQL of a version task's option values, null for every
    task but a dropdown with fixed options), the value of such a dropdown, a list of one
    selection `{"value": <option value>, "option": true}`, gives the position of the chosen
    value in the options (an option value not in the list, text of the volunteer's own
    (`"option": false`) or anything else gives an empty list). -#}
{% macro annotation_answer_indices(value, option_values=none) -%}
    {%- if option_values is none -%}
        {{ return(adapter.dispatch('annotation_answer_indices')(value)) }}
    {%- endif -%}
    case
        when {{ option_values }} is not null
            then {{ dropdown_answer_indices(value, option_values) }}
        else {{ adapter.dispatch('annotation_answer_indices')(value) }}
    end
{%- endmacro %}

{#- A list holding anything but whole numbers (the marks of a drawing, the selections of a
    dropdown) gives an empty list, as on Spark. -#}
{% macro default__annotation_answer_indices(value) -%}
    case json_type({{ value }})
        when 'UBIGINT' then [try_cast(({{ value }})::varchar as bigint)]
        when 'ARRAY'
            then case
                when list_has_all(['UBIGINT', 'BIGINT'], json_type({{ value }}, '$[*]'))
                    then coalesce(try_cast(({{ value }})::json as bigint []), [])
                else []::bigint []
            end
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

{#- The answer index of a fixed-option dropdown's value (JSON), as a one-element list: the
    0-based position of its first selection's value among `option_values` (a list of text),
    when that is one of them and not text of the volunteer's own; else an empty list. -#}
{% macro dropdown_answer_indices(value, option_values) -%}
    {{ return(adapter.dispatch('dropdown_answer_indices')(value, option_values)) }}
{%- endmacro %}

{% macro default__dropdown_answer_indices(value, option_values) -%}
    case
        when
            json_type({{ value }}) = 'ARRAY'
            and coalesce(json_extract_string({{ value }}, '$[0].option'), '') <> 'false'
            and json_extract_string({{ value }}, '$[0].value') is not null
            and list_position(
                {{ option_values }}, json_extract_string({{ value }}, '$[0].value')
            ) is not null
            then [
                cast(
                    list_position(
                        {{ option_values }}, json_extract_string({{ value }}, '$[0].value')
                    ) - 1 as bigint
                )
            ]
        else []::bigint []
    end
{%- endmacro %}

{#- The value is JSON text here; get_json_object gives a string value unquoted and a number as
    written, as DuckDB's json_extract_string and the option values do. -#}
{% macro spark__dropdown_answer_indices(value, option_values) -%}
    case
        when
            left(ltrim({{ value }}), 1) = '['
            and coalesce(get_json_object({{ value }}, '$[0].option'), '') <> 'false'
            and array_position(
                {{ option_values }}, get_json_object({{ value }}, '$[0].value')
            ) > 0
            then array(
                array_position(
                    {{ option_values }}, get_json_object({{ value }}, '$[0].value')
                ) - 1
            )
        else cast(array() as array<bigint>)
    end
{%- endmacro %}
