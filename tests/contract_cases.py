"""Tables of tricky inputs for the rules that more than one language applies (ids, timestamps,
workflow versions): tests/unit/test_contracts.py holds the ingest's Python and SQL to them,
tests/integration/test_version_rule.py the dbt project's version rule."""

TRICKY_IDS = [
    "12", "0", "9" * 18, " 12", "12 ", "012", "00", "1e3", "12.0", "-1", "+1", "1_0", "",
    "9" * 19, "\uff11\uff12", "\u0663", "12\n", "0x1f", "twelve",
]  # fmt: skip

TRICKY_TIMESTAMPS = [
    "2019-03-29T18:37:52.739Z", "2019-03-29T20:37:52+02:00", "2019-03-29T20:37:52-0230",
    "2019-03-29T20:37:52+02", "2019-03-29 18:37:52", "2019-03-29T18:37", "2019-03-29",
    "2019-03-29T18:37:52.1234567890Z", "2020-02-29T00:00Z", "2019-02-29", "2019-13-01",
    "2019-03-29T24:00:00", "2019-03-29T23:59:60", "2019-03-29T18:37:52+24:00",
    "2019-03-29T18:37:52+02:99", "0000-01-01", "2019-03-29 18:37:52 UTC", "20190329T183752Z",
    " 2019-03-29T18:37:52Z", "2019-03-29t18:37:52z", "yesterday", "",
]  # fmt: skip

VERSIONS = {
    "66.425": (66, 425),
    "1.0": (1, 0),
    "0.0": (0, 0),
    "66": None,
    "66.425.1": None,
    "a.b": None,
    " 1.2": None,
    "1.2 ": None,
    "01.2": None,
    "1.": None,
    ".1": None,
    "": None,
}
