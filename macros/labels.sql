{#- A label as it is matched: image markdown `![alt](url)` removed, lower case, white space
    folded to single spaces. "![x.png](https://...) Features or  Disk" -> "features or disk". -#}
{% macro clean_label(expression) -%}
    nullif(
        trim(
            {{ replace_all(
                'lower(' ~ replace_all(expression, "'!\\[[^\\]]*\\]\\([^)]*\\)'", "''") ~ ')',
                "'\\s+'", "' '"
            ) }}
        ),
        ''
    )
{%- endmacro %}

{#- A SQL string literal: values from seeds never break out of the literal. -#}
{% macro sql_string(value) -%}
    {{ return(adapter.dispatch('sql_string')(value | string)) }}
{%- endmacro %}

{% macro default__sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

{#- Spark escapes with backslashes. -#}
{% macro spark__sql_string(value) -%}
    '{{ value | replace('\\', '\\\\') | replace("'", "\\'") }}'
{%- endmacro %}
