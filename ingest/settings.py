"""The environment, read in this one module, so cron, CI, dbt and the command line agree.

Every variable the Python side reads is named here with its default. dbt reads the same
variables in ``profiles.yml`` and the sources; :func:`dbt_environment` hands it absolute paths
so that what it stores in the warehouse (the landing's location in the staging views) reads
from any working directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = Path("data")
WAREHOUSE_FILE = "warehouse.duckdb"
DEFAULT_API_URL = "https://www.zooniverse.org/api"
DEFAULT_LOCK_WAIT_S = 600.0
DEFAULT_LOOKBACK_MINUTES = 60.0


class SettingsError(ValueError):
    """A variable of the environment that cannot be read; the message says which."""


@dataclass(frozen=True)
class Credentials:
    """Panoptes credentials from the environment. ``repr`` never shows the secret values."""

    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Credentials:
        return cls(
            client_id=environ.get("PANOPTES_CLIENT_ID") or None,
            client_secret=environ.get("PANOPTES_CLIENT_SECRET") or None,
            token=environ.get("PANOPTES_TOKEN") or None,
        )

    @property
    def usable(self) -> bool:
        return bool(self.token or (self.client_id and self.client_secret))

    def __repr__(self) -> str:
        shown = {
            "client_id": "set" if self.client_id else "unset",
            "client_secret": "set" if self.client_secret else "unset",
            "token": "set" if self.token else "unset",
        }
        return f"Credentials({', '.join(f'{k}={v}' for k, v in shown.items())})"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """Where things live and how long to wait, from the environment (or a command's options).

    | variable | default |
    | --- | --- |
    | ``WAREHOUSE_DATA_DIR`` | ``data`` (under the working directory) |
    | ``WAREHOUSE_DB`` | ``$WAREHOUSE_DATA_DIR/warehouse.duckdb`` |
    | ``WAREHOUSE_LOCK_WAIT`` | 600 seconds |
    | ``WAREHOUSE_API_LOOKBACK_MINUTES`` | 60 |
    | ``PANOPTES_API_URL`` | ``https://www.zooniverse.org/api`` |
    | ``PANOPTES_CLIENT_ID``, ``PANOPTES_CLIENT_SECRET``, ``PANOPTES_TOKEN`` | unset |

    ``WAREHOUSE_API_LOOKBACK_MINUTES``: each ``ingest api`` run reads again the classifications
    created this long before the newest one landed, and lands those it had not seen. Panoptes
    assigns ids at insert, so a transaction that commits late makes a lower id visible after
    higher ones were served; 0 turns this off.
    """

    data_dir: Path = DEFAULT_DATA_DIR
    warehouse_db: Path = DEFAULT_DATA_DIR / WAREHOUSE_FILE
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_S
    lookback_minutes: float = DEFAULT_LOOKBACK_MINUTES
    api_url: str = DEFAULT_API_URL
    credentials: Credentials = field(default_factory=Credentials)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] = os.environ, data_dir: Path | None = None
    ) -> Settings:
        """The settings of this environment; ``data_dir`` (a ``--data-dir`` option) wins."""
        root = Path(data_dir or environ.get("WAREHOUSE_DATA_DIR") or DEFAULT_DATA_DIR)
        database = environ.get("WAREHOUSE_DB")
        return cls(
            data_dir=root,
            warehouse_db=Path(database) if database else root / WAREHOUSE_FILE,
            lock_wait_seconds=_seconds(environ.get("WAREHOUSE_LOCK_WAIT")),
            lookback_minutes=_minutes(
                environ.get("WAREHOUSE_API_LOOKBACK_MINUTES"), DEFAULT_LOOKBACK_MINUTES
            ),
            api_url=environ.get("PANOPTES_API_URL") or DEFAULT_API_URL,
            credentials=Credentials.from_env(environ),
        )

    @property
    def marts_dir(self) -> Path:
        """Where each build publishes the marts as parquet."""
        return self.data_dir / "marts"

    def dbt_environment(self, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
        """The environment for a dbt process: these paths, made absolute.

        The database and the lock wait are set only where they differ from what ``profiles.yml``
        derives by itself, and a path already absolute is passed as given: dbt parses the
        project again whenever the variables its profile reads change, so a plain ``dbt build``
        run in the same environment then keeps the parse ``gz-warehouse build`` left (about
        3 s at every switch between the two)."""
        env = {**environ, "WAREHOUSE_DATA_DIR": _absolute(self.data_dir)}
        database = _absolute(self.warehouse_db)
        if "WAREHOUSE_DB" in environ or database != _absolute(self.data_dir / WAREHOUSE_FILE):
            env["WAREHOUSE_DB"] = database
        if _seconds(environ.get("WAREHOUSE_LOCK_WAIT")) != self.lock_wait_seconds:
            env["WAREHOUSE_LOCK_WAIT"] = f"{self.lock_wait_seconds:g}"
        return env


def _absolute(path: Path) -> str:
    """``path`` made absolute without resolving symbolic links (the name the user gave)."""
    return os.path.abspath(path)


def _seconds(text: str | None) -> float:
    return float(text or DEFAULT_LOCK_WAIT_S)


def _minutes(text: str | None, default: float) -> float:
    """A non-negative number of minutes from the environment; unset or empty is ``default``."""
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses nan
        raise SettingsError(
            f"WAREHOUSE_API_LOOKBACK_MINUTES must be a number of minutes (0 or more), got {text!r}"
        )
    return value
