"""Finding and running dbt: the project's directory and the ``dbt`` executable, in one place."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# The dbt project is the repository root, beside this package (installed with `pip install -e`).
PROJECT_DIR = Path(__file__).resolve().parent.parent


def dbt_executable() -> str:
    """The ``dbt`` installed beside this Python (the project's venv), else the one on PATH."""
    beside_python = Path(sys.executable).parent / "dbt"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("dbt")
    if found is None:
        raise FileNotFoundError("no dbt executable beside this Python or on PATH")
    return found


def run_dbt(
    args: list[str],
    env: Mapping[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> int:
    """Run ``dbt ARGS`` in the project directory; its exit status."""
    return subprocess.call([dbt_executable(), *args], cwd=project_dir, env=env)
