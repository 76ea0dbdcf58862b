"""Small writes grouped into one transaction, each caller still waiting for its own commit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class WriteBatch(Generic[T]):
    """Groups items written by many tasks: `add` returns once its item is committed.

    A refresh of unchanged pages is thousands of writes of one row or two, where each commit
    cost more than the write itself. Items wait at most `delay` seconds for company, so a
    link is still reported only after it is stored, a moment later than alone.
    """

    def __init__(
        self, write: Callable[[list[T]], Awaitable[None]], size: int = 64, delay: float = 0.02
    ) -> None:
        self._write = write
        self._size = size
        self._delay = delay
        self._items: list[T] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._commits: set[asyncio.Task[None]] = set()

    async def add(self, item: T) -> None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._items.append(item)
        self._waiters.append(waiter)
        if len(self._items) >= self._size:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._delay, self._flush)
        await waiter

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items, waiters = self._items, self._waiters
        self._items, self._waiters = [], []
        if items:
            commit = asyncio.ensure_future(self._commit(items, waiters))
            self._commits.add(commit)  # a reference, so the task is not collected midway
            commit.add_done_callback(self._commits.discard)

    async def _commit(self, items: list[T], waiters: list[asyncio.Future[None]]) -> None:
        try:
            await self._write(items)
        except BaseException as exc:  # every caller in the batch hears of it
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
        else:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
