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
