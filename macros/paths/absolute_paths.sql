{#- Paths stored in the warehouse file (the views over the landing, the external catalogue's
    view) are absolute: DuckDB resolves a relative path against the working directory of the
    process reading the view, not against the file. dbt runs in the project directory, so a
    relative path given to a build (WAREHOUSE_DATA_DIR=data, a var) is relative to it. -#}

{#- `path` made absolute against the dbt project directory, unless it already is one or is a
    URL (s3://, https://, md:): "data/raw" -> "/home/me/gz_warehouse/data/raw". -#}
{% macro absolute_path(path) -%}
    {%- if is_absolute_path(path) -%}
        {{ return(path) }}
    {%- endif -%}
    {%- set project_dir = invocation_args_dict.get('project_dir', '') | string -%}
    {%- if not is_absolute_path(project_dir) -%}
        {{ exceptions.raise_compiler_error(
            "cannot make the relative path '" ~ path ~ "' absolute: dbt was given the relative "
            ~ "project directory '" ~ project_dir ~ "'. Run dbt from the project directory, give "
            ~ "--project-dir as an absolute path, or set WAREHOUSE_DATA_DIR (and any path in "
            ~ "--vars) to an absolute path."
        ) }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for part in (project_dir ~ '/' ~ path).split('/') -%}
        {%- if part == '..' -%}
            {%- if parts | length > 1 -%}
                {%- do parts.pop() -%}
            {%- endif -%}
        {%- elif loop.first or part not in ('', '.') -%}
            {%- do parts.append(part) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(parts | join('/')) }}
{%- endmacro %}

{#- Whether a path is absolute or a URL (a scheme such as s3:, https:, md:, or a drive letter),
    so that no working directory changes what it names. -#}
{% macro is_absolute_path(path) -%}
    {{ return(modules.re.match("^([A-Za-z][A-Za-z0-9+.-]*:|/|~|\\\\)", path) is not none) }}
{%- endmacro %}

{#- A dbt-duckdb external location (a quoted path, or a reader call such as
    read_parquet('data/raw/x/**/*.parquet', hive_partitioning = true)) with the path it reads,
    its first string literal, made absolute. -#}
{% macro absolute_location(location) -%}
    {%- set literal = modules.re.search("'((?:[^']|'')*)'", location) -%}
    {%- if literal is none -%}
        {{ return(location) }}
    {%- endif -%}
    {%- set path = absolute_path(literal.group(1) | replace("''", "'")) -%}
    {{ return(location[:literal.start()] ~ sql_string(path) ~ location[literal.end():]) }}
{%- endmacro %}

{#- The absolute glob of the parquet files landed for one dataset (`raw/<dataset>/`), as the
    sources read them. -#}
{% macro landed_files_glob(dataset) -%}
    {%- set landing = env_var('WAREHOUSE_DATA_DIR', 'data') ~ '/raw/' -%}
    {{ return(absolute_path(landing ~ dataset ~ '/**/*.parquet')) }}
{%- endmacro %}
