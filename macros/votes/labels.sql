{#- A label as it is matched: image markdown `![alt](url)` removed, link targets `](url)` and
    markdown marks (`* _ ~ # [ ] ` and the backtick) removed, lower case, white space folded to
    single spaces. "![x.png](https://...) **Features** or  Disk" -> "features or disk". A seed
    written with the markdown rendered as plain text (what volunteers read) matches the
    version's markdown source. warehouse/labels.py holds the same rule in Python. -#}
{% macro clean_label(expression) -%}
    {%- set without_images = replace_all(expression, "'!\\[[^\\]]*\\]\\([^)]*\\)'", "''") -%}
    {%- set without_links = replace_all(without_images, "'\\]\\([^)]*\\)'", "''") -%}
    {%- set without_marks = replace_all(without_links, "'[*_~#`\\[\\]]'", "''") -%}
    nullif(trim({{ replace_all('lower(' ~ without_marks ~ ')', "'\\s+'", "' '") }}), '')
{%- endmacro %}
