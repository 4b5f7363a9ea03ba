#!/usr/bin/env bash
# One scheduled run: land what is new from Panoptes, check the landing's freshness, build
# (skipped when nothing landed and the dbt project is unchanged since the last build).
# Called hourly by cron (deploy/crontab.example) or CI (.github/workflows/scheduled-ingest.yml).
#
#   PANOPTES_PROJECT_ID     project to fetch (required)
#   PANOPTES_WORKFLOW_IDS   space-separated workflow ids (default: every workflow of the project)
#   PANOPTES_CLIENT_ID, PANOPTES_CLIENT_SECRET or PANOPTES_TOKEN: from the environment, or from
#                           the file named by WAREHOUSE_ENV_FILE (KEY=value lines, mode 600)
#   WAREHOUSE_DATA_DIR, WAREHOUSE_DB: as for `gz-warehouse` and `dbt build`
#   WAREHOUSE_VENV          the virtualenv to use (default .venv)
#
# Exit status: that of the first step to fail. A stale landing (`dbt source freshness` error)
# still builds, then exits non-zero so that cron's mail or CI's red run says so.
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ -n "${WAREHOUSE_ENV_FILE:-}" ]]; then
    set -a
    # shellcheck source=/dev/null
    . "$WAREHOUSE_ENV_FILE"
    set +a
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
