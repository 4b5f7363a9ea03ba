"""Progress of a long run: a live line on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

log = logging.getLogger("ingest")

LOG_EVERY_S = 10.0


class Progress:
    """Counts pages and rows of one stream; renders a live line or logs every few seconds."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self._console = Console(file=self.stream) if self.live else None
        self._display: Live | None = None
        self.label = ""
        self.pages = 0
        self.rows = 0
        self._started = time.monotonic()
        self._last_log = self._started

    def start(self, label: str) -> None:
        self.finish()
        self.label = label
        self.pages = 0
        self.rows = 0
        self._started = self._last_log = time.monotonic()
        if self._console is not None:
            self._display = Live(self._line(), console=self._console, refresh_per_second=4)
            self._display.start()
        else:
            log.info("%s: started", label)

    def advance(self, rows: int, pages: int = 1) -> None:
        self.pages += pages
        self.rows += rows
        if self._display is not None:
            self._display.update(self._line())
            return
        now = time.monotonic()
        if now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            log.info("%s", self._line().plain)

    def finish(self) -> None:
        if not self.label:
            return
        if self._display is not None:
            self._display.update(self._line())
            self._display.stop()
            self._display = None
        else:
            log.info("%s (done)", self._line().plain)
        self.label = ""

    def _line(self) -> Text:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        return Text(
            f"{self.label}: {self.pages:,} pages, {self.rows:,} rows, "
            f"{self.rows / elapsed:,.0f} rows/s"
        )
