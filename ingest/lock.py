"""One writer at a time per data directory: ``ingest`` runs and ``dbt`` builds share a lock.

The lock is an ``flock`` on ``<data dir>/.warehouse.lock``: the operating system releases it
when its holder exits, however it exits (a crash or SIGKILL leaves no stale lock). A second
writer logs whom it waits for and waits up to a bound (``WAREHOUSE_LOCK_WAIT`` seconds, default
600), then gives up with a message saying who holds the lock. ``dbt`` takes it through the
dbt-duckdb plugin in :mod:`warehouse.dbt_plugin`, named in ``profiles.yml``, when it opens its
first connection.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ingest.settings import Settings

log = logging.getLogger(__name__)

LOCK_NAME = ".warehouse.lock"
POLL_S = 0.2


class LockTimeout(RuntimeError):
    """Another writer held the data directory for longer than we were willing to wait."""


def acquire(data_dir: Path, wait_seconds: float | None = None) -> int:
    """Take the data directory's lock, waiting up to ``wait_seconds``; returns the open fd.

    The lock is held until the fd is closed or the process ends.
    """
    wait = Settings.from_env().lock_wait_seconds if wait_seconds is None else wait_seconds
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    waiting = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if not waiting:
                waiting = True
                log.info("waiting up to %.0f s for %s (%s)", wait, path, _read_holder(fd))
            if time.monotonic() >= deadline:
                holder = _read_holder(fd)
                os.close(fd)
                raise LockTimeout(
                    f"another writer holds {path} ({holder}); waited {wait:.0f} s. Try again "
                    "when it is done, or raise WAREHOUSE_LOCK_WAIT"
                ) from None
            time.sleep(POLL_S)
    os.ftruncate(fd, 0)
    os.write(fd, _holder_line().encode())
    os.fsync(fd)
    return fd


@contextlib.contextmanager
def holding(data_dir: Path, wait_seconds: float | None = None) -> Iterator[None]:
    fd = acquire(data_dir, wait_seconds)
    try:
        yield
    finally:
        os.close(fd)


def _holder_line() -> str:
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    command = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv[:3]))
    return f"pid {os.getpid()}, {command or 'python'}, since {started}\n"


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 500, 0).decode(errors="replace").strip()  # the offset stays put
    except OSError:
        text = ""
    return text or "holder unknown"
