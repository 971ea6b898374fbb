"""flask-smorest's page parameters to a service listing's window, and back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from api.services.paging import Page, Window

T = TypeVar("T")


def paginated(parameters: Any, listing: Callable[[Window], Page[T]]) -> Sequence[T]:
    """The items of the page ``parameters`` ask for (``page``, ``page_size``);
    the listing's total goes to the ``X-Pagination`` header."""
    page = listing(Window(parameters.first_item, parameters.page_size))
    parameters.item_count = page.total
    return page.items
