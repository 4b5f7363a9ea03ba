"""Pages are converted in batches bounded by pages and by bytes."""

from __future__ import annotations

from ingest.api_ingest import _batches, _Page
from ingest.panoptes import RawPage


def pages(*sizes: int) -> list[_Page]:
    return [_Page(RawPage(b"x" * size, next_href=None)) for size in sizes]


def sizes_of(batches: list[list[_Page]]) -> list[list[int]]:
    return [[page.size for page in batch] for batch in batches]


def test_a_batch_holds_at_most_so_many_pages_and_bytes():
    batches = list(_batches(pages(*[10] * 7), max_pages=3, max_bytes=1_000))
    assert sizes_of(batches) == [[10, 10, 10], [10, 10, 10], [10]]

    batches = list(_batches(pages(400, 400, 400, 100, 900), max_pages=50, max_bytes=1_000))
    assert sizes_of(batches) == [[400, 400], [400, 100], [900]]


def test_a_page_larger_than_the_bound_is_a_batch_of_its_own():
    batches = list(_batches(pages(10, 5_000, 10, 10), max_pages=50, max_bytes=1_000))
    assert sizes_of(batches) == [[10], [5_000], [10, 10]]
    assert list(_batches([], max_pages=50, max_bytes=1_000)) == []
