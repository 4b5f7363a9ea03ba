{#- Great-circle separation in arcseconds between two relations' ra and dec (degrees), by the
    haversine formula: accurate at small separations, and periodic in ra. -#}
{% macro angular_separation_arcsec(left, right) -%}
    degrees(2 * asin(least(1.0, sqrt(
        pow(sin(radians({{ right }}.dec - {{ left }}.dec) / 2), 2)
        + cos(radians({{ left }}.dec)) * cos(radians({{ right }}.dec))
        * pow(sin(radians({{ right }}.ra - {{ left }}.ra) / 2), 2)
    )))) * 3600
{%- endmacro %}
