{#- The standard normal CDF at x, computed when the project compiles (the erf series; exact to
    ~1e-13 for |x| <= 6, which covers every level allowed below). -#}
{% macro normal_cdf(x) -%}
    {%- set t = x / 1.4142135623730951 -%}
    {%- set ns = namespace(term=t, total=t) -%}
    {%- for n in range(1, 160) -%}
        {%- set ns.term = -ns.term * t * t / n -%}
        {%- set ns.total = ns.total + ns.term / (2 * n + 1) -%}
    {%- endfor -%}
    {{ return(0.5 * (1 + 1.1283791670955126 * ns.total)) }}
{%- endmacro %}

{#- The critical value z of a two-sided interval at var('fraction_interval_level'): the normal
    quantile at 1 - (1 - level) / 2, found by bisection on the CDF when the project compiles. -#}
{% macro interval_z() -%}
    {%- set level = numeric_var('fraction_interval_level', 0.8, above=0, maximum=0.9999) -%}
    {%- set target = 1 - (1 - level) / 2 -%}
    {%- set ns = namespace(low=0.0, high=6.0) -%}
    {%- for _ in range(64) -%}
        {%- set middle = (ns.low + ns.high) / 2 -%}
        {%- if normal_cdf(middle) < target -%}
            {%- set ns.low = middle -%}
        {%- else -%}
            {%- set ns.high = middle -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return((ns.low + ns.high) / 2) }}
{%- endmacro %}

{#- Wilson score interval of a proportion votes / total, at critical value z, clamped to [0, 1]
    and rounded to 9 decimals (well below any meaningful difference, and the same on every
    engine); null when total is 0. bound is 'lower' or 'upper'. -#}
{% macro wilson_bound(votes, total, z, bound) -%}
    case when {{ total }} > 0 then round(
        {{ 'greatest(0.0, ' if bound == 'lower' else 'least(1.0, ' }}
        (
            ({{ votes }} / {{ total }} + {{ z }} * {{ z }} / (2.0 * {{ total }}))
            {{ '-' if bound == 'lower' else '+' }} {{ z }} * sqrt(
                ({{ votes }} / {{ total }}) * (1 - {{ votes }} / {{ total }}) / {{ total }}
                + {{ z }} * {{ z }} / (4.0 * {{ total }} * {{ total }})
            )
        ) / (1 + {{ z }} * {{ z }} / {{ total }})
        ), 9)
    end
{%- endmacro %}
