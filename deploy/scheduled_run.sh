#!/usr/bin/env bash
# One scheduled run: land what is new from Panoptes, check the landing's freshness, build
# (skipped when nothing landed and the dbt project is unchanged since the last build).
# Called hourly by cron (deploy/crontab.example) or CI (.github/workflows/scheduled-ingest.yml).
#
#   PANOPTES_PROJECT_ID     project to fetch (required)
#   PANOPTES_WORKFLOW_IDS   space-separated workflow ids (default: every workflow of the project)
#   PANOPTES_CLIENT_ID, PANOPTES_CLIENT_SECRET or PANOPTES_TOKEN: from the environment, or from
#                           the file named by WAREHOUSE_ENV_FILE (mode 600; format below)
#   WAREHOUSE_DATA_DIR, WAREHOUSE_DB: as for `gz-warehouse` and `dbt build`
#   WAREHOUSE_VENV          the virtualenv to use (default .venv)
#
# WAREHOUSE_ENV_FILE holds KEY=value lines (or `export KEY=value`), the value bare (no spaces
# or quotes in it) or in single or double quotes, taken as written: no $ expansion, no escapes.
# Blank lines and lines starting with # are skipped, as is a # comment after the value. The
# file is read, never run, and its content never printed: a line that is not KEY=value is
# named by its number only, and the run stops before doing anything (a half-read file could
# send the run to the wrong project or data directory).
#
# Exit status: that of the first step to fail (1 for an unreadable or malformed
# WAREHOUSE_ENV_FILE). A stale landing (`dbt source freshness` error) still builds, then exits
# non-zero so that cron's mail or CI's red run says so.
set -uo pipefail
cd "$(dirname "$0")/.."

# Export the KEY=value lines of the file $1; name malformed lines by number, then exit 1.
load_env_file() {
    local assignment='^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$'
    local double_quoted='^"([^"]*)"[[:space:]]*(#.*)?$'
    local single_quoted="^'([^']*)'[[:space:]]*(#.*)?\$"
    local bare="^([^[:space:]\"']*)([[:space:]]+#.*)?[[:space:]]*\$"
    local line key rest number=0 malformed=0
    if [[ ! -f "$1" || ! -r "$1" ]]; then
        echo "WAREHOUSE_ENV_FILE $1 is not a readable file" >&2
        exit 1
    fi
    while IFS= read -r line || [[ -n "$line" ]]; do
        number=$((number + 1))
        line="${line%$'\r'}"
        [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
        if [[ "$line" =~ $assignment ]]; then
            key="${BASH_REMATCH[2]}"
            rest="${BASH_REMATCH[3]}"
            if [[ "$rest" =~ $double_quoted || "$rest" =~ $single_quoted ||
                "$rest" =~ $bare ]]; then
                export "$key=${BASH_REMATCH[1]}"
                continue
            fi
        fi
        echo "WAREHOUSE_ENV_FILE line $number is not KEY=value" >&2
        malformed=1
    done <"$1"
    if ((malformed)); then
        echo "WAREHOUSE_ENV_FILE: fix the lines above; nothing was run" >&2
        exit 1
    fi
}

if [[ -n "${WAREHOUSE_ENV_FILE:-}" ]]; then
    load_env_file "$WAREHOUSE_ENV_FILE"
fi
: "${PANOPTES_PROJECT_ID:?set PANOPTES_PROJECT_ID to the Panoptes project to fetch}"
bin="${WAREHOUSE_VENV:-.venv}/bin"

workflows=()
for workflow in ${PANOPTES_WORKFLOW_IDS:-}; do
    workflows+=(--workflow-id "$workflow")
done

"$bin/gz-warehouse" ingest api -q --project-id "$PANOPTES_PROJECT_ID" "${workflows[@]}" || exit
"$bin/dbt" source freshness
freshness=$?
# unit tests check SQL logic, not data: they belong to CI
"$bin/gz-warehouse" build -- --exclude-resource-type unit_test || exit
exit "$freshness"
