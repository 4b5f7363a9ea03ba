{#- The project's vars, read through these macros so that a value of the wrong kind fails with
    one line naming the var and the value, rather than becoming 0 or a SQL error later.
    check_vars() (an on-run-start hook, which dbt renders when it parses the project) checks
    every var before any command does anything. -#}

{#- Every var of the project, checked (see dbt_project.yml for what each does). -#}
{% macro check_vars() -%}
    {%- do choice_var('repeat_classifications', 'first', ['first', 'last', 'all']) -%}
    {%- do numeric_var('fraction_interval_level', 0.8, above=0, maximum=0.9999) -%}
    {%- do date_var('classified_after') -%}
    {%- do date_var('classified_before') -%}
    {%- do numeric_var('catalogue_min_total_votes', 0, integer=true, minimum=0) -%}
    {%- do numeric_var('volunteer_weighting_iterations', 3, integer=true, minimum=1, maximum=20) -%}
    {%- do numeric_var('volunteer_weight_tolerance', 0, minimum=0, maximum=1) -%}
    {%- do numeric_var('published_subject_bucket_width', 65536, integer=true, minimum=1) -%}
    {%- do numeric_var('crossmatch_radius_arcsec', 2.0, above=0) -%}
    {%- do text_var('external_catalogue') -%}
    {%- for column in ['name', 'ra', 'dec'] -%}
        {%- do text_var('external_catalogue_' ~ column ~ '_column') -%}
    {%- endfor -%}
    {%- do boolean_var('test_all_rows', false) -%}
    {{ return('') }}
{%- endmacro %}

{#- A var's value as the user wrote it, quoted, for messages. -#}
{% macro var_shown(value) -%}
    {{ return("'" ~ value ~ "'") }}
{%- endmacro %}

{#- A number (an integer with integer=true), within the bounds given: minimum and maximum
    inclusive, above exclusive. Numbers written as text ("2.5") are read as numbers; anything
    else (text, a boolean, a list, NaN or infinity) fails. -#}
{% macro numeric_var(name, default=none, integer=false, minimum=none, above=none, maximum=none) -%}
    {%- set value = var(name, default) -%}
    {%- set pattern = '[+-]?[0-9]+' if integer else '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?' -%}
    {%- set text = value | string | trim -%}
    {%- set number = none -%}
    {%- if value is number and value is not boolean and text not in ('nan', 'inf', '-inf') -%}
        {%- if not integer or value == value | int -%}
            {%- set number = value | int if integer else value | float -%}
        {%- endif -%}
    {%- elif value is string and modules.re.fullmatch(pattern, text) -%}
        {%- set number = text | int if integer else text | float -%}
    {%- endif -%}
    {%- set bounds = [] -%}
    {%- if minimum is not none -%}{%- do bounds.append('at least ' ~ minimum) -%}{%- endif -%}
    {%- if above is not none -%}{%- do bounds.append('above ' ~ above) -%}{%- endif -%}
    {%- if maximum is not none -%}{%- do bounds.append('at most ' ~ maximum) -%}{%- endif -%}
    {%- if number is none
        or (minimum is not none and number < minimum)
        or (above is not none and number <= above)
        or (maximum is not none and number > maximum) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be " ~ ('a whole number' if integer else 'a number')
            ~ (' ' ~ bounds | join(' and ') if bounds else '') ~ ", not " ~ var_shown(value)
        ) }}
    {%- endif -%}
    {{ return(number) }}
{%- endmacro %}

{#- A date or a time, as text (YYYY-MM-DD, optionally followed by HH:MM or HH:MM:SS[.ffffff]
    after a space or T), or none when unset or empty. A date YAML read as one is accepted. -#}
{% macro date_var(name, default=none) -%}
    {%- set value = var(name, default) -%}
    {%- if value is none or value | string | trim == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set parts = modules.re.fullmatch(
        '([0-9]{4})-([0-9]{2})-([0-9]{2})([ T]([0-9]{2}):([0-9]{2})(:([0-9]{2})([.][0-9]{1,6})?)?)?',
        text
    ) -%}
    {%- set valid = parts is not none -%}
    {%- if valid -%}
        {%- set year, month, day = parts.group(1) | int, parts.group(2) | int, parts.group(3) | int -%}
        {%- set valid = 1 <= year and 1 <= month <= 12 and 1 <= day
            and (parts.group(5) or '0') | int <= 23 and (parts.group(6) or '0') | int <= 59
            and (parts.group(8) or '0') | int <= 59 -%}
        {%- if valid -%}
            {%- set next_month = modules.datetime.date(year + month // 12, month % 12 + 1, 1) -%}
            {%- set valid = day <= (next_month - modules.datetime.timedelta(days=1)).day -%}
        {%- endif -%}
    {%- endif -%}
    {%- if not valid -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a date (YYYY-MM-DD) or a time (YYYY-MM-DD HH:MM:SS), not "
            ~ var_shown(value)
        ) }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{#- true or false (YAML's true/false), nothing else: the text 'false' is not false. -#}
{% macro boolean_var(name, default=false) -%}
    {%- set value = var(name, default) -%}
    {%- if value is not boolean -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be true or false, not " ~ var_shown(value)
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- One of the choices given. -#}
{% macro choice_var(name, default, choices) -%}
    {%- set value = var(name, default) -%}
    {%- if value is not string or value not in choices -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be " ~ choices[:-1] | join(', ') ~ " or " ~ choices[-1]
            ~ ", not " ~ var_shown(value)
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- Text that is not empty (a path, a column name), or none when unset. -#}
{% macro text_var(name, default=none) -%}
    {%- set value = var(name, default) -%}
    {%- if value is not none and (value is not string or value | trim == '') -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be text that is not empty, not " ~ var_shown(value)
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}
