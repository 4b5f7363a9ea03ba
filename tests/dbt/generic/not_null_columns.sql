{#- No row has a null in any of the listed columns. One test per model rather than a not_null
    test per column: dbt schedules, compiles and runs every test as a node of its own, and a
    build of nothing new is mostly that per-node cost. One scan counts the nulls of every
    column; a failure is a row per column that has any, with how many. -#}
{% test not_null_columns(model, columns) %}
    with null_counts as (
        select
            {%- for column in columns %}
                sum(case when {{ column }} is null then 1 else 0 end) as nulls_{{ loop.index }}
                {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ model }}
    )

    {% for column in columns -%}
        select
            '{{ column }}' as column_name,
            nulls_{{ loop.index }} as null_rows
        from null_counts
        where nulls_{{ loop.index }} > 0
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% endtest %}
