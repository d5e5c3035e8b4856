"""Built pages, kept until the read model changes (any pupil event, any provider) or the day does.

A page over 50,000 pupils runs the cost rule over every placement in the period; an officer and
the Schools Forum paper ask for the same page many times between events. The key holds the page,
the caller's scope and the filters; the version is read on every request, so a page never
outlives the data it was built from.
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from datetime import date
from typing import Any

import asyncpg

from .pages import Page

MAX_PAGES = 64


async def version(conn: asyncpg.Connection) -> tuple[Any, ...]:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM pupil_state) AS pupils,"
        " (SELECT max(updated_at) FROM pupil_state) AS changed,"
        " (SELECT count(*) FROM providers) AS providers,"
        " (SELECT coalesce(sum(hashtext(details::text)), 0) FROM providers) AS provider_hash"
    )
    return (date.today(), *tuple(row.values())) if row else (date.today(),)


class PageCache:
    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        self.pages: OrderedDict[Hashable, tuple[tuple[Any, ...], Page]] = OrderedDict()
        self.hits = self.misses = 0

    async def get(
        self, key: Hashable, current: tuple[Any, ...], build: Callable[[], Awaitable[Page]]
    ) -> Page:
        found = self.pages.get(key)
        if found is not None and found[0] == current:
            self.pages.move_to_end(key)
            self.hits += 1
            return found[1]
        self.misses += 1
        page = await build()
        self.pages[key] = (current, page)
        self.pages.move_to_end(key)
        while len(self.pages) > self.size:
            self.pages.popitem(last=False)
        return page


def of(app: Any) -> PageCache:
    cache = getattr(app.state, "ui_pages", None)
    if cache is None:
        cache = app.state.ui_pages = PageCache()
    return cache
