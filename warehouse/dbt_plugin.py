"""The dbt-duckdb plugin named in ``profiles.yml``: what a dbt run needs from the data directory.

It holds the writer lock shared with ``ingest`` runs for the whole life of the process, makes
sure ``marts/`` exists for the hook that publishes the marts as parquet (SQL cannot create a
directory), and that ``raw/rejected/``, ``raw/subject_workflow_statuses/``, ``raw/projects/`` and
``raw/workflows/`` have a file for their staging views to read on a landing where nothing was
ever set aside, or no status, project or workflow landed. It also gives dbt's connection the SQL
functions with which that hook moves a mart's rewritten subject buckets into place
(:mod:`warehouse.published`) and refreshes the serving database (:mod:`warehouse.serving`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from ingest.landing import Landing
from ingest.lock import acquire
from ingest.settings import Settings
from warehouse import published, serving

_held: list[int] = []


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        if _held:  # once per process, however many environments dbt creates
            return
        configured = plugin_config.get("data_dir")
        settings = Settings.from_env(data_dir=Path(configured) if configured else None)
        wait = plugin_config.get("wait_seconds")
        _held.append(acquire(settings.data_dir, None if wait in (None, "") else float(wait)))
        settings.marts_dir.mkdir(parents=True, exist_ok=True)
        landing = Landing(settings.data_dir)
        landing.ensure_rejected_readable()
        landing.ensure_statuses_readable()
        landing.ensure_workflows_readable()

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        """``make_directory(path)``, ``place_mart_buckets(...)`` and
        ``publish_serving_database(data_dir)`` for the hook: SQL cannot make a directory or
        rename a file."""
        conn.create_function(
            "make_directory", published.make_directory, ["VARCHAR"], "VARCHAR", side_effects=True
        )
        conn.create_function(
            "place_mart_buckets",
            published.place_buckets,
            ["VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"],
            "VARCHAR",
            side_effects=True,
        )
        conn.create_function(
            "publish_serving_database",
            _publish_serving_database,
            ["VARCHAR"],
            "VARCHAR",
            side_effects=True,
        )


def _publish_serving_database(data_dir: str) -> str:
    return serving.publish(Path(data_dir)).summary()
