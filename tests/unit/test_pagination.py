"""Two lists paged as one: every item once, in order, and a next page only when it holds something."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.shared.errors import InvalidRequest
from chalicelib.shared.pagination import Page, PageRequest, one_after_another
from tests.fakes.store import paged


def listing(items: list[str]) -> Callable[[PageRequest], Page[str]]:
    return lambda page: paged(items, lambda item: item, page)  # paged() lists the greatest first


def every_page(first: list[str], then: list[str], limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        found = one_after_another(listing(first), listing(then), PageRequest(limit, cursor))
        pages.append(found.items)
        if found.next is None:
            return pages
        cursor = found.next


@pytest.mark.parametrize("limit", range(1, 7))
@pytest.mark.parametrize(("first", "then"), [(["a3", "a2", "a1"], ["b2", "b1"]), ([], ["b1"]), (["a2", "a1"], [])])
def test_every_item_comes_once_the_first_lists_before_the_second_and_no_page_is_empty(
    first: list[str], then: list[str], limit: int
):
    pages = every_page(first, then, limit)
    assert [item for page in pages for item in page] == first + then
    assert all(pages) or pages == [[]]
    assert all(len(page) == limit for page in pages[:-1])


def test_a_first_list_ending_with_a_full_page_offers_a_next_page_only_if_the_second_holds_something():
    assert one_after_another(listing(["a1"]), listing([]), PageRequest(1)).next is None
    found = one_after_another(listing(["a1"]), listing(["b1"]), PageRequest(1))
    assert found.next == "2."
    assert one_after_another(listing(["a1"]), listing(["b1"]), PageRequest(1, found.next)).items == ["b1"]


@pytest.mark.parametrize("cursor", ["x", "3.abc", "1.", "1abc", "2.not-ours!"])
def test_a_cursor_that_is_not_ours_is_refused_naming_the_cursor(cursor: str):
    with pytest.raises(InvalidRequest) as refused:
        one_after_another(listing(["a1", "a2"]), listing(["b1"]), PageRequest(1, cursor))
    assert refused.value.field == "cursor"
