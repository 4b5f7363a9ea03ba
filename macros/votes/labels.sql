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
