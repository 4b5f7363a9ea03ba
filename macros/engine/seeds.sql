{#- Seeds on each engine: the order their rows were loaded in, and a Spark loader that keeps
    every value intact. -#}

{#- The order rows of a seed were loaded in (the seed file's order). -#}
{% macro seed_row_order() -%}
    {{ return(adapter.dispatch('seed_row_order')()) }}
{%- endmacro %}

{% macro default__seed_row_order() -%}
    rowid
{%- endmacro %}

{#- A seed's rows are inserted in file order into one file (spark__load_csv_rows), read back in
    that order. -#}
{% macro spark__seed_row_order() -%}
    monotonically_increasing_id()
{%- endmacro %}

{#- dbt-spark's seed loader in session mode pastes each value between quotes unescaped and
    turns an empty cell into the text 'None'; this one writes each value as a literal (null for
    an empty cell), and each batch as one file (COALESCE(1)): a batch split over several files is
    read back with the largest file first, which would scramble seed_row_order. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }}
            select /*+ COALESCE(1) */ * from values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- set column = agate_table.column_names[loop.index0] -%}
                    {%- set type = column_override.get(
                        column, adapter.convert_type(agate_table, loop.index0)
                    ) -%}
                    cast({{ 'null' if value is none else sql_string(value) }} as {{ type }})
                    {{- ',' if not loop.last }}
                {%- endfor -%})
                {{- ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
