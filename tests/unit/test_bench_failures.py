"""A benchmark step that fails is named in the table with dbt's reason, on one line."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import scale

DBT_OUTPUT = """\
06:06:41  Completed with 2 errors, 0 partial successes, and 1 warning:
06:06:41  Failure in model retirement_replay (models/marts/retirement_replay.sql)
06:06:41    Runtime Error in model retirement_replay (models/marts/retirement_replay.sql)
  Out of Memory Error: failed to pin block of size 256.0 KiB (3.2 GiB/3.2 GiB used)

06:06:41  Failure in model gz_decals_dr5_vote_fractions (models/marts/x.sql)
06:06:41    Runtime Error in model gz_decals_dr5_vote_fractions (models/marts/x.sql)
  Out of Memory Error: failed to allocate data of size 64.0 MiB (3.2 GiB/3.2 GiB used)
06:06:41  Done. PASS=170 WARN=1 ERROR=2 SKIP=15 NO-OP=1 TOTAL=189
"""


def test_the_reason_names_the_failed_models_and_the_first_error():
    assert scale.failure_reason(DBT_OUTPUT) == (
        "retirement_replay, gz_decals_dr5_vote_fractions: Out of Memory Error: failed to pin "
        "block of size 256.0 KiB (3.2 GiB/3.2 GiB used)"
    )


def test_without_an_error_line_the_last_line_is_the_reason():
    assert scale.failure_reason("starting\nKilled\n") == "Killed"
    assert scale.failure_reason("") == "no output"


def test_a_failed_step_is_in_the_table_and_left_out_of_the_ratios(capsys):
    steps = {
        key: scale.Step(key, what, seconds=seconds)
        for key, what, seconds in (("a", "floor", 2.0), ("b", "full", 20.0), ("n", "skip", 1.0),
                                   ("N", "forced", 4.0), ("c", "+1%", 8.0), ("S", "full", 9.0))
    }  # fmt: skip
    steps["S"].failed = "dbt build failed: retirement_replay: Out of Memory Error"
    scale.print_table(1000, 10**9, steps)
    printed = capsys.readouterr().out
    assert "| S | full | failed after 9.0 |  | 0 | dbt build failed: retirement_replay" in printed
    assert "(c-N)/(b-N) = 0.250" in printed
    assert "b/a = 10.00" in printed
