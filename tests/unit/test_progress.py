"""Progress: log lines when not on a terminal, a live line when on one."""

from __future__ import annotations

import io
import logging

from ingest import progress as progress_module
from ingest.progress import Progress


def test_without_a_terminal_progress_is_logged_as_plain_lines(caplog, monkeypatch):
    monkeypatch.setattr(progress_module, "LOG_EVERY_S", 0.0)
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger="ingest"):
        progress = Progress(stream=stream)
        progress.start("workflow 6122 classifications")
        progress.advance(rows=100)
        progress.advance(rows=50)
        progress.finish()

    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == "workflow 6122 classifications: started"
    assert "2 pages, 150 rows" in messages[-1] and messages[-1].endswith("(done)")
    assert stream.getvalue() == ""  # nothing drawn on a stream that is not a terminal


def test_on_a_terminal_a_single_live_line_is_drawn():
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    progress = Progress(stream=stream)
    progress.start("subjects")
    progress.advance(rows=100)
    progress.finish()

    assert progress.live
    assert "subjects: 1 pages, 100 rows" in stream.getvalue()
