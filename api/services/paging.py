"""Pagination of a listing, written once for every listing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, func
from sqlalchemy.orm import Session

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Window:
    """Which items of a listing to return: ``size`` of them from index ``first``."""

    first: int
    size: int


@dataclass(frozen=True)
class Page(Generic[T]):
    """One window of a listing, and how many items the listing has in all."""

    items: Sequence[T]
    total: int

    def map(self, function: Callable[[T], U]) -> Page[U]:
        return Page([function(item) for item in self.items], self.total)


def page_of(session: Session, query: Select[Any], window: Window) -> Page[Row]:
    """The rows of ``query`` (ordered) in ``window``."""
    count = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    total = session.scalar(count) or 0
    if window.first >= total:  # also keeps absurd page numbers out of SQL OFFSET
        return Page((), total)
    return Page(session.execute(query.offset(window.first).limit(window.size)).all(), total)
