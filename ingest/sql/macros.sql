-- The rules every SQL path applies to ids, timestamps and workflow versions.
-- ingest.records.parse_id, parse_timestamp and workflow_version are the Python side;
-- tests/test_contracts.py holds both to one table of inputs.

-- A timestamp without a zone is UTC.
set timezone = 'UTC';

-- An id is 1 to 18 ASCII digits without sign, spaces or leading zeros ("0" itself is one);
-- anything else is null. The round trip through an unsigned integer checks all that at once.
create or replace macro parsed_id(id_text) as
case
    when strlen(id_text) <= 18 and try_cast(id_text as ubigint)::varchar = id_text
        then try_cast(id_text as bigint)
end;

-- A workflow version is "<major>.<minor>", two ids; part 1 is the major number, 2 the minor.
-- Anything else has neither.
create or replace macro workflow_version_number(version_text, part) as
case
    when len(string_split(version_text, '.')) = 2
        then parsed_id(split_part(version_text, '.', part))
end;

-- A timestamp is ISO 8601 in extended format, years 1000 to 2999: a date, optionally a time
-- ("T" or a space, then HH:MM, optionally :SS and a fraction), optionally then a zone ("Z",
-- +HH, +HHMM or +HH:MM); as UTC without zone. Anything else is null.
create or replace macro parsed_timestamp(timestamp_text) as
case
    when
        not regexp_full_match(
            timestamp_text,
            '[12]\d{3}-\d{2}-\d{2}([T ]([01]\d|2[0-3]):\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?)?'
        )
        then null
    when timestamp_text like '%Z' then try_cast(timestamp_text as timestamp)
    else try_cast(timestamp_text as timestamptz) at time zone 'UTC'
end;
