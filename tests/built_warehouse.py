"""A warehouse built from the stand-in's sample, build by build, for the end-to-end tests
(tests/integration/test_warehouse.py and test_repeat_policies.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conftest import run_dbt, vote_counts_in
from recount import recount

from standin import sample

FIRST_BATCH = 2_000


@dataclass
class Build:
    output: str
    vote_counts: dict[tuple, tuple[int, int]]


@dataclass
class Warehouse:
    data_dir: Path
    sample: sample.Sample
    builds: dict[str, Build] = field(default_factory=dict)


def build(warehouse: Warehouse, name: str, database: Path, *args: str) -> None:
    output = run_dbt(warehouse.data_dir, database, *args)
    warehouse.builds[name] = Build(output, vote_counts_in(database))


def generated_sample() -> sample.Sample:
    return sample.generate(n_classifications=3_000, n_subjects=150, seed=5)


def assert_recounted(warehouse: Warehouse, build_name: str, policy: str, published) -> None:
    """The build's vote_counts equal tests/recount.py's on the classifications it had."""
    classifications = warehouse.sample.classifications[:published]
    expected = recount(classifications, warehouse.sample.workflow_versions, policy)

    actual = warehouse.builds[build_name].vote_counts

    assert set(actual) == set(expected)
    mismatches = {k: (actual[k], expected[k]) for k in expected if actual[k] != expected[k]}
    assert not mismatches, list(mismatches.items())[:5]
