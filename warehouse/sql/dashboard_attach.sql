-- The serving database (marts.duckdb), read-only: views over frozen copies of the marts.
-- (sqlfluff's duckdb dialect does not parse ATTACH options.)
attach $path as published (read_only) -- noqa: PRS
