{#- A label as it is matched: image markdown `![alt](url)` removed, lower case, white space
    folded to single spaces. "![x.png](https://...) Features or  Disk" -> "features or disk". -#}
{% macro clean_label(expression) -%}
    nullif(
        trim(
            regexp_replace(
                lower(regexp_replace({{ expression }}, '!\[[^\]]*\]\([^)]*\)', '', 'g')),
                '\s+', ' ', 'g'
            )
        ),
        ''
    )
{%- endmacro %}

{#- A SQL string literal, quotes doubled: values from seeds never break out of the literal. -#}
{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#- A SQL identifier, quoted, inner double quotes doubled: names from seeds and vars (such as
    "spiral-arm-count_more-than-4_fraction") can hold any character. -#}
{% macro quoted_identifier(name) -%}
    "{{ name | string | replace('"', '""') }}"
{%- endmacro %}
