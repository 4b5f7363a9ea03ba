"""The repeat policy `all` end to end, as tests/integration/test_warehouse.py runs `first`.

The same sample lands in two batches; a warehouse built with `repeat_classifications: all`
after each is checked against the independent recount (tests/recount.py), and counts more than
the recount under the default policy, `first`, on this sample (it has repeats). The
science products are checked against tests/science_recount.py the same way.
"""

from __future__ import annotations

import pytest
from built_warehouse import (
    FIRST_BATCH,
    Warehouse,
    assert_recounted,
    assert_science_recounted,
    build,
    generated_sample,
)
from conftest import WORKFLOW_ID, run_ingest, standin_server
from recount import recount

from standin.server import StandInData

# another series of builds: `make test-slow` (run by .ci/run after the default tests)
pytestmark = [pytest.mark.dbt, pytest.mark.slow]

ALL = ("--vars", "{repeat_classifications: all}")
WORKFLOW = ("--workflow-id", str(WORKFLOW_ID))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Warehouse:
    root = tmp_path_factory.mktemp("repeat-policies")
    warehouse = Warehouse(root / "data", generated_sample())
    database = root / "all.duckdb"
    data = StandInData.from_sample(warehouse.sample)
    with standin_server(data) as api:
        data.publish(FIRST_BATCH)
        assert (
            run_ingest(api, warehouse.data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        )
        build(warehouse, "all/initial", database, *ALL)
        data.publish_all()
        assert (
            run_ingest(api, warehouse.data_dir, "--workflow-id", str(WORKFLOW_ID)).returncode == 0
        )
    build(warehouse, "all/incremental", database, *ALL)
    return warehouse


@pytest.mark.parametrize(
    ("build_name", "published"),
    [("all/initial", FIRST_BATCH), ("all/incremental", None)],
)
def test_vote_counts_equal_an_independent_recount(warehouse, build_name, published):
    assert_recounted(warehouse, build_name, "all", published)


@pytest.mark.parametrize(
    ("build_name", "published"),
    [("all/initial", FIRST_BATCH), ("all/incremental", None)],
)
def test_science_products_equal_an_independent_recount(warehouse, build_name, published):
    assert_science_recounted(warehouse, build_name, "all", published)


def test_the_policies_differ_on_this_sample(warehouse):
    every = warehouse.builds["all/incremental"].vote_counts
    first = recount(warehouse.sample.classifications, warehouse.sample.workflow_versions, "first")
    assert sum(t for _, t in every.values()) > sum(t for _, t in first.values())
