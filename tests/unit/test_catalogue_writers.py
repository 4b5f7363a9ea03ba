"""`gz-warehouse catalogue write` on hand-made published marts: the zoobot table (column order,
integer counts, several schemas merged into one row per galaxy, refusals in one line) and the
FITS catalogue's header (build settings, TCOMMn descriptions, TUNITn)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.table import Table
from conftest import PROJECT_ROOT

from warehouse import cli
from warehouse.catalogues import write_catalogue
from warehouse.training_labels import CatalogueError, write_zoobot, zoobot_table

SETTINGS = {
    "built_at": "2026-01-02T03:04:05Z",
    "project_version": "0.1.0",
    "repeat_classifications": "first",
    "fraction_interval_level": "0.8",
    "classified_after": "2018-03-01",
    "classified_before": None,
    "catalogue_min_total_votes": "5",
    "excluded_volunteers": "2",
    "volunteer_weighting_iterations": "3",
    "volunteer_weight_tolerance": "0.01",
}

# (schema, suffix, id_str, iauname, ra, dec, file_loc, question, q_order, answer, a_order, votes,
#  total). Answers are ordered against the alphabet (b before a), to show the tree's order wins.
LABELS = [
    ("gz_decals_dr5", "-dr5", "J1", "J1", 1.0, 2.0, "u1", "q1", 1, "b", 1, 3, 4),
    ("gz_decals_dr5", "-dr5", "J1", "J1", 1.0, 2.0, "u1", "q1", 1, "a", 2, 1, 4),
    ("gz_decals_dr5", "-dr5", "J1", "J1", 1.0, 2.0, "u1", "q0", 2, "c", 1, 0, 0),
    ("gz_decals_dr5", "-dr5", "77", None, None, None, "u77", "q1", 1, "b", 1, 0, 2),
    ("gz_decals_dr5", "-dr5", "77", None, None, None, "u77", "q1", 1, "a", 2, 2, 2),
    ("gz_decals_dr5", "-dr5", "77", None, None, None, "u77", "q0", 2, "c", 1, 1, 1),
    ("gz2", "-gz2", "J1", "J1", 1.5, 2.5, "g1", "q1", 1, "a", 1, 5, 6),
    ("gz2", "-gz2", "J1", "J1", 1.5, 2.5, "g1", "q1", 1, "b", 2, 1, 6),
    ("gz2", "-gz2", "J2", "J2", 3.0, 4.0, "g2", "q1", 1, "a", 1, 0, 1),
    ("gz2", "-gz2", "J2", "J2", 3.0, 4.0, "g2", "q1", 1, "b", 2, 1, 1),
]


def publish_labels(marts: Path, labels: list[tuple] = LABELS, settings: bool = True) -> None:
    marts.mkdir(parents=True, exist_ok=True)
    columns = list(zip(*labels, strict=True))
    schema, suffix, id_str, iauname, ra, dec, file_loc, question, q_order, answer, a_order = (
        columns[:11]
    )
    table = pa.table({
        "schema_name": schema, "id_str": id_str, "iauname": iauname,
        "ra": pa.array(ra, pa.float64()), "dec": pa.array(dec, pa.float64()),
        "file_loc": file_loc, "subjects": pa.array([1] * len(labels), pa.int64()),
        "question": question, "answer": answer,
        "label": [f"{q}{s}_{a}" for q, s, a in zip(question, suffix, answer, strict=True)],
        "total_label": [f"{q}{s}_total-votes" for q, s in zip(question, suffix, strict=True)],
        "votes": pa.array(columns[11], pa.int64()),
        "total_votes": pa.array(columns[12], pa.int64()),
        "question_order": pa.array(q_order, pa.int64()),
        "answer_order": pa.array(a_order, pa.int64()),
    })  # fmt: skip
    pq.write_table(
        table.take(list(reversed(range(table.num_rows)))), marts / "training_labels.parquet"
    )
    if settings:
        pq.write_table(
            pa.table({"setting": list(SETTINGS), "value": list(SETTINGS.values())}),
            marts / "warehouse_settings.parquet",
        )


def test_one_schema_is_a_row_per_galaxy_with_its_columns_in_tree_order(tmp_path):
    publish_labels(tmp_path)
    table = zoobot_table(["gz_decals_dr5"], tmp_path)
    assert table.column_names == [
        "id_str", "iauname", "ra", "dec", "file_loc",
        "q1-dr5_b", "q1-dr5_a", "q1-dr5_total-votes", "q0-dr5_c", "q0-dr5_total-votes",
    ]  # fmt: skip
    assert table.to_pylist() == [
        {"id_str": "77", "iauname": None, "ra": None, "dec": None, "file_loc": "u77",
         "q1-dr5_b": 0, "q1-dr5_a": 2, "q1-dr5_total-votes": 2,
         "q0-dr5_c": 1, "q0-dr5_total-votes": 1},
        {"id_str": "J1", "iauname": "J1", "ra": 1.0, "dec": 2.0, "file_loc": "u1",
         "q1-dr5_b": 3, "q1-dr5_a": 1, "q1-dr5_total-votes": 4,
         "q0-dr5_c": 0, "q0-dr5_total-votes": 0},
    ]  # fmt: skip
    assert all(pa.types.is_int64(table.schema.field(i).type) for i in range(5, 10))


def test_several_schemas_are_merged_one_row_per_galaxy_nulls_where_not_classified(tmp_path):
    publish_labels(tmp_path)
    table = zoobot_table(["gz2", "gz_decals_dr5"], tmp_path)
    assert table.column_names[5:] == [
        "q1-gz2_a", "q1-gz2_b", "q1-gz2_total-votes",
        "q1-dr5_b", "q1-dr5_a", "q1-dr5_total-votes", "q0-dr5_c", "q0-dr5_total-votes",
    ]  # fmt: skip
    rows = {row["id_str"]: row for row in table.to_pylist()}
    assert list(rows) == ["77", "J1", "J2"]
    # galaxy columns from the first schema asked that has them
    assert (rows["J1"]["ra"], rows["J1"]["file_loc"]) == (1.5, "g1")
    assert [rows["J1"][c] for c in table.column_names[5:]] == [5, 1, 6, 3, 1, 4, 0, 0]
    assert [rows["J2"][c] for c in table.column_names[5:]] == [
        0,
        1,
        1,
        None,
        None,
        None,
        None,
        None,
    ]
    assert [rows["77"][c] for c in table.column_names[5:]] == [None, None, None, 0, 2, 2, 1, 1]
    other_way = {
        row["id_str"]: row for row in zoobot_table(["gz_decals_dr5", "gz2"], tmp_path).to_pylist()
    }
    assert (other_way["J1"]["ra"], other_way["J1"]["file_loc"]) == (1.0, "u1")
    assert other_way["J2"]["file_loc"] == "g2"


def test_the_files_are_parquet_with_the_build_settings_and_the_same_csv(tmp_path):
    publish_labels(tmp_path / "marts")
    said: list[str] = []
    written = write_zoobot(
        ["gz_decals_dr5", "gz2"], tmp_path / "marts", tmp_path / "out", said.append
    )
    parquet, csv = (
        tmp_path / "out" / f"gz_decals_dr5+gz2_zoobot.{ext}" for ext in ("parquet", "csv")
    )
    assert written == [(parquet, 3), (csv, 3)] and said == []
    table = pq.read_table(parquet)
    metadata = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
    assert metadata["gz_warehouse.built_at"] == SETTINGS["built_at"]
    assert metadata["gz_warehouse.classified_before"] == ""
    assert metadata["gz_warehouse.schemas"] == "gz_decals_dr5,gz2"
    from_csv = pa.csv.read_csv(csv)
    assert from_csv.column_names == table.column_names
    for name in table.column_names[5:]:
        assert from_csv[name].to_pylist() == table[name].to_pylist(), name
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left behind


def test_without_published_settings_it_says_so_and_writes_the_labels(tmp_path):
    publish_labels(tmp_path, settings=False)
    said: list[str] = []
    [(parquet, rows), _] = write_zoobot(["gz2"], tmp_path, tmp_path / "out", said.append)
    assert rows == 2 and len(said) == 1 and "warehouse_settings.parquet" in said[0]
    assert set(pq.read_table(parquet).schema.metadata) == {b"gz_warehouse.schemas"}


@pytest.mark.parametrize(
    ("schemas", "message"),
    [
        (["gz_desi"], "has no training labels of gz_desi (schemas in it: gz2, gz_decals_dr5)"),
        (["gz2", "gz2"], "a schema is named twice"),
    ],
)
def test_a_schema_not_in_the_mart_is_refused_in_one_line(tmp_path, schemas, message, capsys):
    publish_labels(tmp_path / "data" / "marts")
    argv = ["catalogue", "write", *schemas, "--format", "zoobot",
            "--data-dir", str(tmp_path / "data"), "--out-dir", str(tmp_path / "out")]  # fmt: skip
    assert cli.main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_without_a_build_it_says_what_to_do(tmp_path, capsys):
    argv = ["catalogue", "write", "gz2", "--format", "zoobot",
            "--data-dir", str(tmp_path / "data"), "--out-dir", str(tmp_path / "out")]  # fmt: skip
    assert cli.main(argv) == 1
    error = capsys.readouterr().err
    assert "training_labels.parquet" in error and "run dbt build" in error
    assert error.count("\n") == 1


def test_schemas_sharing_a_suffix_are_refused(tmp_path):
    same = [(schema, "-x", *rest) for schema, _, *rest in LABELS]
    publish_labels(tmp_path, same)
    with pytest.raises(
        CatalogueError, match=r"q1-x_a is in both gz_decals_dr5 and gz2: .* own campaign suffix"
    ):
        zoobot_table(["gz_decals_dr5", "gz2"], tmp_path)


# -- the FITS catalogue ---------------------------------------------------------------------


def publish_vote_fractions(marts: Path, schema: str) -> None:
    marts.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "iauname": ["J1", None],
                "ra": [1.0, 3.0],
                "dec": [2.0, 4.0],
                "subject_id": pa.array([10, 11], pa.int64()),
                "image_url": ["u1", "u2"],
                "smooth-or-featured_total-votes": pa.array([4, 0], pa.int64()),
                "smooth-or-featured_smooth": pa.array([3, 0], pa.int64()),
                "smooth-or-featured_smooth_fraction": [0.75, None],
                "_configuration": ["x", "x"],
            }
        ),
        marts / f"{schema}_vote_fractions.parquet",
    )


def test_the_fits_header_says_how_the_catalogue_was_made_and_what_each_column_is(tmp_path):
    publish_labels(tmp_path)  # for warehouse_settings.parquet
    publish_vote_fractions(tmp_path, "gz_decals_dr5")
    said: list[str] = []
    write_catalogue("gz_decals_dr5", tmp_path, tmp_path / "out", PROJECT_ROOT, said.append)
    assert said == []
    path = tmp_path / "out" / "gz_decals_dr5.fits"
    with fits.open(path) as hdul:
        hdul.verify("exception")
        header = hdul[1].header
    assert header["EXTNAME"] == "GZ_DECALS_DR5"
    assert (header["BUILT"], header["PROJVER"], header["REPEATS"]) == (
        "2026-01-02T03:04:05Z", "0.1.0", "first",
    )  # fmt: skip
    assert header["INTLEVEL"] == 0.8 and isinstance(header["INTLEVEL"], float)
    assert (header["CLASSAFT"], header["CLASSBEF"]) == ("2018-03-01", "")
    assert (header["MINVOTES"], header["NEXCLUDE"], header["WEIGHTIT"]) == (5, 2, 3)
    assert header["WEIGHTOL"] == 0.01
    assert all(len(keyword) <= 8 for keyword in header)
    names = [header[f"TTYPE{i}"] for i in range(1, header["TFIELDS"] + 1)]
    assert names == ["iauname", "ra", "dec", "subject_id", "image_url",
                     "smooth-or-featured_total-votes", "smooth-or-featured_smooth",
                     "smooth-or-featured_smooth_fraction"]  # fmt: skip
    units = {name: header.get(f"TUNIT{i}") for i, name in enumerate(names, start=1)}
    assert units == {name: ("deg" if name in ("ra", "dec") else None) for name in names}
    comments = {name: header.get(f"TCOMM{i}") for i, name in enumerate(names, start=1)}
    assert comments["ra"] == "Right ascension in degrees."
    assert comments["smooth-or-featured_smooth"] == (
        'Votes for "Smooth" to "Is the galaxy simply smooth and rounded, with no sign of a disk?".'
    )  # longer than a card: continued on CONTINUE cards, read back whole
    assert all(comments.values())
    table = Table.read(path)
    assert table.colnames == names and list(table["subject_id"]) == [10, 11]


def test_a_fits_catalogue_without_settings_or_docs_says_so_and_is_written(tmp_path):
    publish_vote_fractions(tmp_path, "galaxy_hunt")
    said: list[str] = []
    write_catalogue("galaxy_hunt", tmp_path, tmp_path / "out", PROJECT_ROOT, said.append)
    assert len(said) == 2
    assert "no TCOMM" in said[0] and "warehouse_settings.parquet" in said[1]
    with fits.open(tmp_path / "out" / "galaxy_hunt.fits") as hdul:
        header = hdul[1].header
    assert "BUILT" not in header and "TCOMM1" not in header
    assert header["TUNIT2"] == "deg"
