# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast test-slow test-spark lint screenshots bench bench-scale clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/activate

demo: $(BIN)/activate  ## stand-in -> ingest over HTTP -> dbt build -> summary, offline, in data/
	$(BIN)/gz-warehouse demo

test: $(BIN)/activate  ## both tiers: tests/unit, then real HTTP, real parquet, real dbt, sqlfluff
	$(BIN)/python -m pytest

test-fast: $(BIN)/activate  ## the fast tier while working: pure functions, parsing, SQL (no server, no dbt)
	$(BIN)/python -m pytest -n 0 tests/unit

test-slow: $(BIN)/activate  ## the tests that are each a series of ingests and builds (marked slow)
	$(BIN)/python -m pytest -m slow

test-spark: $(BIN)/activate  ## the models on Spark against DuckDB (installs the spark extra; Java 17)
	$(BIN)/pip install --quiet -e ".[spark]"
	$(BIN)/python -m pytest -m spark -n 0 tests/integration/test_spark.py

lint: $(BIN)/activate  ## ruff (the SQL is linted by the tests: tests/integration/test_sql_style.py)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

screenshots: $(BIN)/activate  ## the dashboard's pages in headless Chromium, into docs/ (the browser tests)
	DASHBOARD_SCREENSHOTS=docs $(BIN)/python -m pytest -n 0 tests/integration/test_dashboard.py

bench: $(BIN)/activate  ## ingest throughput against the local stand-in; crossmatch speed
	$(BIN)/python bench/ingest_throughput.py
	$(BIN)/python bench/crossmatch.py

bench-scale: $(BIN)/activate  ## Galaxy Zoo scale: floor query, full load, hourly run, API, aggregation
	$(BIN)/python bench/scale.py --classifications 1000000

clean:
	rm -rf $(VENV) target logs bench-data .pytest_cache
