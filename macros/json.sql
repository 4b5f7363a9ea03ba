{#- Engine-specific JSON handling. Models call these; each engine gets its own version. -#}

{#- A value from a JSON object of subject metadata, matching the key whatever its hidden-field
    prefix (`!`, `#`, `//`) or case: metadata_field('metadata', 'ra') finds `!ra`, `RA`, `ra`. -#}
{% macro metadata_field(column, name) -%}
    {{ return(adapter.dispatch('metadata_field')(column, name)) }}
{%- endmacro %}

{% macro default__metadata_field(column, name) -%}
    list_filter(
        map_entries(try_cast({{ column }}::json as map(varchar, varchar))),
        lambda entry: lower(ltrim(entry.key, '!#/')) = {{ sql_string(name | lower) }}
    )[1].value
{%- endmacro %}

{% macro spark__metadata_field(column, name) -%}
    try_element_at(filter(
        map_entries(from_json({{ column }}, 'map<string, string>')),
        entry -> lower(ltrim('!#/', entry.key)) = {{ sql_string(name | lower) }}
    ), 1).value
{%- endmacro %}

{#- The first image URL of a subject: API locations are `[{"image/png": url}, ...]`, export
    locations are `{"0": url, ...}`. -#}
{% macro first_location_url(column) -%}
    {{ return(adapter.dispatch('first_location_url')(column)) }}
{%- endmacro %}

{% macro default__first_location_url(column) -%}
    case json_type({{ column }}::json)
        when 'ARRAY' then json_extract_string({{ column }}, '$[0].*')[1]
        when 'OBJECT' then json_extract_string({{ column }}, '$.*')[1]
    end
{%- endmacro %}

{% macro spark__first_location_url(column) -%}
    case
        when left(ltrim({{ column }}), 1) = '['
            then try_element_at(map_values(
                from_json(get_json_object({{ column }}, '$[0]'), 'map<string, string>')
            ), 1)
        when left(ltrim({{ column }}), 1) = '{{ '{' }}'
            then try_element_at(map_values(from_json({{ column }}, 'map<string, string>')), 1)
    end
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

{#- The definition of task `task` in a version's tasks JSON, as a struct of its type,
    question, instruction and answers (a list of structs with a label). -#}
{% macro task_definition(tasks, task) -%}
    {{ return(adapter.dispatch('task_definition')(tasks, task)) }}
{%- endmacro %}

{% macro default__task_definition(tasks, task) -%}
    json_transform(
        {{ tasks }} -> {{ task }},
        '{"type": "VARCHAR", "question": "VARCHAR", "instruction": "VARCHAR",
          "answers": [{"label": "VARCHAR"}]}'
    )
{%- endmacro %}

{% macro spark__task_definition(tasks, task) -%}
    from_json(
        from_json({{ tasks }}, 'map<string, string>')[{{ task }}],
        'struct<type: string, question: string, instruction: string,
          answers: array<struct<label: string>>>'
    )
{%- endmacro %}
