"""The lookback of ``ingest api``: from the environment, else an hour; the option wins."""

from __future__ import annotations

import pytest

from ingest.cli import main
from ingest.settings import Settings


def test_the_lookback_is_an_hour_unless_the_environment_says_otherwise():
    assert Settings.from_env({}).lookback_minutes == 60
    assert Settings.from_env({"WAREHOUSE_API_LOOKBACK_MINUTES": "15"}).lookback_minutes == 15
    assert Settings.from_env({"WAREHOUSE_API_LOOKBACK_MINUTES": "0"}).lookback_minutes == 0


@pytest.mark.parametrize("text", ["an hour", "-5", "nan"])
def test_a_lookback_that_is_not_minutes_is_refused_in_one_line(text, monkeypatch, capsys):
    monkeypatch.setenv("WAREHOUSE_API_LOOKBACK_MINUTES", text)

    status = main(["api", "--project-id", "1", "--api-url", "http://127.0.0.1:9/api"])

    assert status == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: WAREHOUSE_API_LOOKBACK_MINUTES must be")
