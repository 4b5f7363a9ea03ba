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

{#- The annotations of a classification as a list of (task, value) structs, value kept as JSON. -#}
{% macro annotation_list(column) -%}
    {{ return(adapter.dispatch('annotation_list')(column)) }}
{%- endmacro %}

{% macro default__annotation_list(column) -%}
    from_json({{ column }}, '[{"task": "VARCHAR", "value": "JSON"}]')
{%- endmacro %}

{#- Keys of a JSON object, in order. -#}
{% macro json_object_keys(column) -%}
    {{ return(adapter.dispatch('json_object_keys')(column)) }}
{%- endmacro %}

{% macro default__json_object_keys(column) -%}
    json_keys({{ column }})
{%- endmacro %}
