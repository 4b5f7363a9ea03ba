{#- The definition of task `task` in a version's tasks JSON, as a struct of its type,
    question, instruction and answers (a list of structs with a label). -#}
{% macro task_definition(tasks, task) -%}
    {{ return(adapter.dispatch('task_definition')(tasks, task)) }}
{%- endmacro %}

{% macro default__task_definition(tasks, task) -%}
    json_transform(
        {{ tasks }} -> {{ task }},
        '{"type": "VARCHAR", "question": "VARCHAR", "instruction": "VARCHAR",
          "answers": [{"label": "VARCHAR"}]}'
    )
{%- endmacro %}

{% macro spark__task_definition(tasks, task) -%}
    from_json(
        from_json({{ tasks }}, 'map<string, string>')[{{ task }}],
        'struct<type: string, question: string, instruction: string,
          answers: array<struct<label: string>>>'
    )
{%- endmacro %}
