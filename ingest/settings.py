"""Where things live, read from the environment so cron, CI and dbt agree without flags."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_API_URL = "https://www.zooniverse.org/api"


def data_dir() -> Path:
    """Landing root: ``$WAREHOUSE_DATA_DIR``, else ``data`` under the working directory."""
    return Path(os.environ.get("WAREHOUSE_DATA_DIR") or "data")


def warehouse_db() -> Path:
    """DuckDB file: ``$WAREHOUSE_DB``, else ``warehouse.duckdb`` under the landing root."""
    override = os.environ.get("WAREHOUSE_DB")
    return Path(override) if override else data_dir() / "warehouse.duckdb"


def api_url() -> str:
    return os.environ.get("PANOPTES_API_URL") or DEFAULT_API_URL


@dataclass(frozen=True)
class Credentials:
    """Panoptes credentials from the environment. ``repr`` never shows the secret values."""

    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None

    @classmethod
    def from_env(cls) -> Credentials:
        return cls(
            client_id=os.environ.get("PANOPTES_CLIENT_ID") or None,
            client_secret=os.environ.get("PANOPTES_CLIENT_SECRET") or None,
            token=os.environ.get("PANOPTES_TOKEN") or None,
        )

    def __repr__(self) -> str:
        shown = {
            "client_id": "set" if self.client_id else "unset",
            "client_secret": "set" if self.client_secret else "unset",
            "token": "set" if self.token else "unset",
        }
        return f"Credentials({', '.join(f'{k}={v}' for k, v in shown.items())})"

    __str__ = __repr__
