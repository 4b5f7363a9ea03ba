{#- A subject's metadata and image locations, whatever the key spelling. -#}

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
