"""SQL kept in ``.sql`` files beside the code that runs it (``<package>/sql/<name>.sql``).

The files are linted by sqlfluff like the dbt models; named parameters are DuckDB's ``$name``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def query(package: str, name: str) -> str:
    """The text of ``<package>/sql/<name>.sql``."""
    return (resources.files(package) / "sql" / f"{name}.sql").read_text(encoding="utf-8")
