"""The layout of the published marts under ``$WAREHOUSE_DATA_DIR/marts/``.

A mart is published either as one file, ``<mart>.parquet``, or, when it is large and keyed by
subject (meta ``publish_in_subject_buckets``), as a directory of one file per subject bucket,
``<mart>/part-<bucket>.parquet`` (bucket = subject_id // var ``published_subject_bucket_width``,
zero-padded), so that a build rewrites the buckets it changed and no other.
``<mart>/_buckets.json`` says what each bucket's file holds (its rows and their latest
``_loaded_at``): the publishing hook compares that with the mart to find the buckets to write.
pandas, pyarrow and DuckDB read such a directory as one table
(``pd.read_parquet("marts/vote_counts")``, ``read_parquet('marts/vote_counts/*.parquet')``);
files whose names start with ``_`` or ``.`` (the manifest, a part being written) are not data,
as pyarrow and Spark take them.
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


def place_buckets(target: str, invocation: str, written: str, removed: str, manifest: str) -> str:
    """Put a mart's rewritten buckets in place: rename each ``.part-<b>.parquet.<invocation>``
    the hook's COPY wrote in ``target`` (or ``.staging-<invocation>/_bucket=<b>/``'s one file,
    of its partitioned COPY) over ``part-<b>.parquet`` (``written``, a JSON list; one rename
    each, so a reader sees a bucket's old file or its new one), delete the parts of
    the buckets in ``removed`` (a JSON list), write the manifest (JSON lines) last, and remove
    what a killed run left and a single-file copy of the mart from before it had buckets.
    Returns a one-line summary."""
    started = time.perf_counter()
    directory = Path(target)
    buckets, gone = json.loads(written), json.loads(removed)
    staging = directory / f".staging-{invocation}"
    for bucket in buckets:
        staged = directory / f".{_PART}{bucket}.parquet.{invocation}"
        if not staged.exists():  # written by the partitioned COPY
            files = sorted((staging / f"_bucket={bucket}").glob("*.parquet"))
            if len(files) != 1:
                raise RuntimeError(f"{directory.name}: bucket {bucket} in {len(files)} files")
            staged = files[0]
        fsync_file(staged)
        os.replace(staged, directory / f"{_PART}{bucket}.parquet")
    for bucket in gone:
        with contextlib.suppress(FileNotFoundError):
            (directory / f"{_PART}{bucket}.parquet").unlink()
    temporary = directory / f".{MANIFEST}.{os.getpid()}.tmp"
    temporary.write_text(manifest)
    fsync_file(temporary)
    os.replace(temporary, directory / MANIFEST)
    for leftover in directory.glob(f".{_PART}*"):  # a killed run's (builds hold the lock)
        leftover.unlink(missing_ok=True)
    for leftover in directory.glob(".staging-*"):  # this run's, emptied, and a killed run's
        shutil.rmtree(leftover, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (directory.parent / f"{directory.name}.parquet").unlink()
    with contextlib.suppress(OSError):  # some file systems refuse it; the renames stay atomic
        fsync_file(directory)
    return (
        f"{directory.name}: {len(buckets)} bucket(s) written, {len(gone)} removed"
        f" in {time.perf_counter() - started:.2f} s"
    )
