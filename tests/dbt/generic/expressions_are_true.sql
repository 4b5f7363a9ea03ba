{#- Every row satisfies each SQL expression of the list (a null result fails). One scan for all
    of a model's expressions, one node in the build; a failing row is returned with a column
    `holds_<n>` per expression, false for the ones it breaks. -#}
{% test expressions_are_true(model, expressions) %}
    {%- set expressions = [expressions] if expressions is string else expressions %}
    with checked as (
        select
            *,
            {%- for expression in expressions %}
            coalesce(({{ expression }}), false) as holds_{{ loop.index }}
            {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ model }}
    )

    select *
    from checked
    where not (
        {%- for expression in expressions %}
        holds_{{ loop.index }}{{ ' and' if not loop.last }}
        {%- endfor %}
    )
{% endtest %}
