"""Rules written once per language, held to one table of inputs: ids, timestamps, versions.

Python (``ingest.records``) checks API subjects and workflow versions and the workflows export;
SQL (``ingest/sql/macros.sql``) checks classification pages and the Lab's exports. Both must
accept exactly the same texts.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from contract_cases import TRICKY_IDS, TRICKY_TIMESTAMPS, VERSIONS

from ingest import records
from ingest.queries import query


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as connection:
        connection.execute(query("ingest", "macros"))
        yield connection


def python_id(text: str) -> int | None:
    try:
        return records.parse_id(text, "id")
    except records.RecordError:
        return None


@pytest.mark.parametrize("text", TRICKY_IDS)
def test_python_and_sql_accept_the_same_ids(con, text):
    [(sql_id,)] = con.execute("select parsed_id($text)", {"text": text}).fetchall()
    assert sql_id == python_id(text)


def python_timestamp(text: str) -> datetime | None:
    try:
        return records.parse_timestamp(text, "created_at")
    except records.RecordError:
        return None


@pytest.mark.parametrize("text", TRICKY_TIMESTAMPS)
def test_python_and_sql_read_the_same_timestamps(con, text):
    [(sql_timestamp,)] = con.execute("select parsed_timestamp($text)", {"text": text}).fetchall()
    assert sql_timestamp == python_timestamp(text)


def test_a_timestamp_is_iso_8601_in_extended_format():
    assert python_timestamp("2019-03-29T20:37:52+02:00") == datetime(2019, 3, 29, 18, 37, 52)
    accepted = [text for text in TRICKY_TIMESTAMPS if python_timestamp(text) is not None]
    assert accepted == TRICKY_TIMESTAMPS[:9]


def test_an_id_is_up_to_eighteen_digits_without_leading_zeros():
    accepted = [text for text in TRICKY_IDS if python_id(text) is not None]
    assert accepted == TRICKY_IDS[:3]


@pytest.mark.parametrize(("text", "numbers"), VERSIONS.items())
def test_sql_reads_a_version_exactly_when_python_would_write_it(con, text, numbers):
    [parts] = con.execute(
        "select workflow_version_number($text, 1), workflow_version_number($text, 2)",
        {"text": text},
    ).fetchall()
    read = None if None in parts else parts
    assert read == numbers
    if read is not None:
        assert records.workflow_version(*read) == text


@pytest.mark.parametrize(("major", "minor"), [(0, 0), (66, 425), (10**17, 7)])
def test_what_python_writes_sql_reads_back(con, major, minor):
    text = records.workflow_version(major, minor)
    parts = con.execute(
        "select workflow_version_number($text, 1), workflow_version_number($text, 2)",
        {"text": text},
    ).fetchall()
    assert parts == [(major, minor)]
