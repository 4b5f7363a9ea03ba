"""The dbt-duckdb plugin (named in ``profiles.yml``) that makes a dbt run hold the data
directory's writer lock, shared with ``ingest`` runs, for the whole life of the process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from ingest.lock import acquire

_held: list[int] = []


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        if _held:  # one lock per process, however many environments dbt creates
            return
        data_dir = Path(plugin_config.get("data_dir") or "data")
        wait = plugin_config.get("wait_seconds")
        _held.append(acquire(data_dir, None if wait in (None, "") else float(wait)))
