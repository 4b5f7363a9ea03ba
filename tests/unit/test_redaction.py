"""Secrets are replaced wherever they could surface: messages, log records, echoed bodies."""

from __future__ import annotations

import argparse
import io
import json
import logging
from urllib.parse import quote, quote_plus

import orjson
import pytest

from ingest import cli
from ingest.panoptes import REDACTED, SECRETS, PanoptesError, SecretRedactor

SECRET = 'tok/en+with"quote\\and-Zq81'


@pytest.fixture
def redactor() -> SecretRedactor:
    made = SecretRedactor()
    made.add(SECRET, None, "")
    return made


@pytest.mark.parametrize(
    "shown",
    [
        SECRET,
        orjson.dumps(SECRET).decode()[1:-1],
        json.dumps(SECRET)[1:-1],
        quote(SECRET, safe=""),
        quote(SECRET),
        quote_plus(SECRET, safe=""),
        quote(orjson.dumps(SECRET).decode()[1:-1], safe=""),
    ],
    ids=["raw", "json", "json-ascii", "url", "url-path", "url-plus", "url-of-json"],
)
def test_a_secret_is_redacted_as_sent_and_escaped(redactor, shown):
    text = f'{{"message": "refused Bearer {shown} for you"}}'

    redacted = redactor.redact(text)

    assert "Zq81" not in redacted
    assert redacted == f'{{"message": "refused Bearer {REDACTED} for you"}}'


def test_a_longer_secret_containing_a_shorter_one_is_redacted_whole():
    redactor = SecretRedactor()
    redactor.add("abcd1234", "abcd1234-and-more")

    assert redactor.redact("x abcd1234-and-more y abcd1234") == f"x {REDACTED} y {REDACTED}"


def test_text_without_secrets_is_left_alone(redactor):
    assert redactor.redact("GET /api/subjects failed with HTTP 503") == (
        "GET /api/subjects failed with HTTP 503"
    )
    assert SecretRedactor().redact("nothing registered") == "nothing registered"


def test_log_records_are_redacted_in_their_arguments_and_tracebacks(redactor):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redactor)
    logger = logging.getLogger("test_redaction.records")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("server said %s", f"Bearer {SECRET}")
        try:
            raise ValueError(f"bad header Bearer {SECRET}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)

    written = stream.getvalue()
    assert "Zq81" not in written
    assert f"server said Bearer {REDACTED}" in written
    assert f"ValueError: bad header Bearer {REDACTED}" in written


def test_panoptes_errors_carry_no_registered_secret():
    secret = "registered-secret-7b2e90"
    SECRETS.add(secret)

    error = PanoptesError(f"GET /api/x failed: echo {secret}")

    assert str(error) == f"GET /api/x failed: echo {REDACTED}"


def test_the_command_line_redacts_its_log_records_and_error_line(caplog, capsys):
    secret = "registered-secret-41cc0d"
    SECRETS.add(secret)

    def command(_: argparse.Namespace) -> int:
        logging.getLogger("ingest.somewhere").warning("the server echoed %s", secret)
        raise OSError(f"cannot write {secret}")

    status = cli.run(argparse.Namespace(run=command, verbosity=0))

    assert status == 1
    assert secret not in caplog.text and f"echoed {REDACTED}" in caplog.text
    assert capsys.readouterr().err == f"error: cannot write {REDACTED}\n"


def test_an_unexpected_error_is_logged_with_its_traceback_redacted(caplog):
    secret = "registered-secret-90ad13"
    SECRETS.add(secret)

    def command(_: argparse.Namespace) -> int:
        raise KeyError(f"the server sent {secret}")

    status = cli.run(argparse.Namespace(run=command, verbosity=0))

    assert status == 1
    assert "unexpected error" in caplog.text and "Traceback" in caplog.text
    assert secret not in caplog.text
