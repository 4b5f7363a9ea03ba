{#- The definition of task `task` in a version's tasks JSON, as a struct of its type,
    question, instruction, task-level `next`, answers (a list of structs with a label and a
    `next`), the shortcut task shown with it (`unlinkedTask`), a combo's tasks and, for a
    dropdown task, its selects (each with a title, whether volunteers may type their own
    value, and its option lists keyed by the value chosen in the select it depends on, "*" for
    one that depends on none). -#}
{% macro task_definition(tasks, task) -%}
    {{ return(adapter.dispatch('task_definition')(tasks, task)) }}
{%- endmacro %}

{% macro default__task_definition(tasks, task) -%}
    json_transform(
        {{ tasks }} -> {{ task }},
        '{"type": "VARCHAR", "question": "VARCHAR", "instruction": "VARCHAR", "next": "VARCHAR",
          "answers": [{"label": "VARCHAR", "next": "VARCHAR"}], "unlinkedTask": "VARCHAR",
          "tasks": ["VARCHAR"],
          "selects": [{"title": "VARCHAR", "allowCreate": "BOOLEAN",
                       "options": "MAP(VARCHAR, STRUCT(label VARCHAR, value VARCHAR)[])"}]}'
    )
{%- endmacro %}

{% macro spark__task_definition(tasks, task) -%}
    from_json(
        from_json({{ tasks }}, 'map<string, string>')[{{ task }}],
        'struct<type: string, question: string, instruction: string, next: string,
          answers: array<struct<label: string, next: string>>, unlinkedTask: string,
          tasks: array<string>,
          selects: array<struct<title: string, allowCreate: boolean,
                                options: map<string, array<struct<label: string, value: string>>>>>>'
    )
{%- endmacro %}
