"""The layout of the published marts under ``$WAREHOUSE_DATA_DIR/marts/``.

A mart is published either as one file, ``<mart>.parquet``, or, when it is large and keyed by
subject, as a directory of one file per subject bucket, ``<mart>/part-<bucket>.parquet``
(bucket = subject_id // width; meta ``publish_subject_buckets`` of the model gives the width),
so that a build rewrites the buckets it changed and no other. ``<mart>/_buckets.json`` says
what each bucket's file holds (its rows and their latest ``_loaded_at``): the publishing hook
compares that with the mart to find the buckets to write. pandas, pyarrow and DuckDB read such
a directory as one table (``pd.read_parquet("marts/vote_counts")``,
``read_parquet('marts/vote_counts/*.parquet')``); files whose names start with ``_`` or ``.``
are not data, as pyarrow and Spark take them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from pathlib import Path

from ingest.landing import fsync_file

MANIFEST = "_buckets.json"
_PART = "part-"


def mart_files(marts_dir: Path) -> dict[str, list[Path]]:
    """{mart: its files}: ``<mart>.parquet``, or the parts of ``<mart>/`` in bucket order."""
    found: dict[str, list[Path]] = {}
    if not marts_dir.is_dir():
        return found
    for path in sorted(marts_dir.iterdir()):
        if path.name.startswith((".", "_")):
            continue
        if path.is_file() and path.suffix == ".parquet":
            found[path.stem] = [path]
        elif path.is_dir():
            parts = sorted(path.glob(f"{_PART}*.parquet"))
            if parts:
                found[path.name] = parts
    return found


def mart_path(marts_dir: Path, mart: str) -> Path | None:
    """What to read a mart from (its file or its directory); None when it is not published."""
    files = mart_files(marts_dir).get(mart)
    if not files:
        return None
    return files[0] if files[0].parent == marts_dir else files[0].parent


def make_directory(path: str) -> str:
    """Make ``path`` (and its parents) for a COPY that writes one file into it."""
    Path(path).mkdir(parents=True, exist_ok=True)
    return path


def place_buckets(staging: str, target: str, removed: str, manifest: str) -> str:
    """Move each bucket written under ``staging`` (DuckDB's ``_bucket=<b>/`` directories) into
    ``target`` as ``part-<b>.parquet``, one rename each (a reader sees a bucket's old file or
    its new one), delete the files of the buckets in ``removed`` (a JSON list), write the
    manifest (JSON lines) last, and remove ``staging``. A single-file copy of the same mart
    from before it was partitioned is removed. Returns a one-line summary."""
    started = time.perf_counter()
    staged, directory = Path(staging), Path(target)
    directory.mkdir(parents=True, exist_ok=True)
    written = 0
    for bucket_dir in sorted(staged.glob("_bucket=*")):
        bucket = bucket_dir.name.split("=", 1)[1]
        files = sorted(bucket_dir.glob("*.parquet"))
        names = [f"{_PART}{bucket}.parquet"] if len(files) == 1 else [
            f"{_PART}{bucket}-{i}.parquet" for i in range(len(files))
        ]  # fmt: skip
        for source, name in zip(files, names, strict=True):
            fsync_file(source)
            os.replace(source, directory / name)
        _remove_parts(directory, bucket, keep=set(names))
        written += 1
    gone = json.loads(removed)
    for bucket in gone:
        _remove_parts(directory, bucket, keep=set())
    temporary = directory / f".{MANIFEST}.{os.getpid()}.tmp"
    temporary.write_text(manifest)
    fsync_file(temporary)
    os.replace(temporary, directory / MANIFEST)
    with contextlib.suppress(FileNotFoundError):
        (directory.parent / f"{directory.name}.parquet").unlink()
    with contextlib.suppress(OSError):  # some file systems refuse it; the renames stay atomic
        fsync_file(directory)
    # this run's staging, and any a killed run left of this mart
    for leftover in staged.parent.glob(f".staging-{directory.name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return (
        f"{directory.name}: {written} bucket(s) written, {len(gone)} removed"
        f" in {time.perf_counter() - started:.2f} s"
    )


def _remove_parts(directory: Path, bucket: str, keep: set[str]) -> None:
    """The files of ``bucket`` in ``directory`` but those named in ``keep``."""
    for path in [directory / f"{_PART}{bucket}.parquet", *directory.glob(f"{_PART}{bucket}-*")]:
        if path.name not in keep:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
