"""Lists come a page at a time, newest first, with a cursor to the next page: never silently cut."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from chalicelib.shared.errors import InvalidRequest, Reason

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

CURSOR_NOT_VALID = Reason("pagination.cursor_not_valid", "This cursor is not valid; start again from the first page.")


def bad_cursor() -> InvalidRequest:
    return InvalidRequest(CURSOR_NOT_VALID, field="cursor")


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None  # opaque; only the store that made it reads it


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None = None  # the cursor of the following page; None on the last

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        return Page([convert(item) for item in self.items], self.next)


def one_after_another(
    first: Callable[[PageRequest], Page[T]], then: Callable[[PageRequest], Page[T]], page: PageRequest
) -> Page[T]:
    """Two lists paged as one, every item of `first` before those of `then`. The cursor says which list it
    carries on in ("1." or "2.") and holds that list's own cursor after it; `next` is offered only when another
    page holds something, as for every list."""
    in_then, position = _which_list(page.cursor)
    items: list[T] = []
    if not in_then:
        found = first(PageRequest(page.limit, position))
        if found.next is not None:
            return Page(found.items, f"1.{found.next}")
        items, position = found.items, None
        if len(items) == page.limit:  # `first` ended with this page: does `then` hold anything?
            return Page(items, "2." if then(PageRequest(1)).items else None)
    found = then(PageRequest(page.limit - len(items), position))
    return Page(items + found.items, f"2.{found.next}" if found.next is not None else None)


def _which_list(cursor: str | None) -> tuple[bool, str | None]:
    if not cursor:
        return False, None
    which, dot, position = cursor.partition(".")
    if not dot or which not in ("1", "2") or (which == "1" and not position):
        raise bad_cursor()
    return which == "2", position or None
