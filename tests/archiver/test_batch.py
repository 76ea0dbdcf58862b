"""WriteBatch: many callers, one commit, each caller back only after its item is written."""

from __future__ import annotations

import asyncio

import pytest

from archiver._batch import WriteBatch


def test_items_are_written_together_and_callers_wait_for_it() -> None:
    commits: list[list[int]] = []

    async def write(items: list[int]) -> None:
        await asyncio.sleep(0.01)
        commits.append(items)

    async def main() -> list[int]:
        batch = WriteBatch(write, size=4, delay=0.05)
        finished: list[int] = []

        async def one(number: int) -> None:
            await batch.add(number)
            assert any(number in commit for commit in commits)  # written before add returns
            finished.append(number)

        await asyncio.gather(*(one(n) for n in range(10)))
        return finished

    finished = asyncio.run(main())
    assert sorted(finished) == list(range(10))
    assert [len(c) for c in commits] == [4, 4, 2]  # two full batches, then the rest on time


def test_a_failed_write_fails_every_caller_of_that_batch() -> None:
    async def write(items: list[int]) -> None:
        raise RuntimeError("database is locked")

    async def main() -> list[BaseException | None]:
        batch = WriteBatch(write, size=3, delay=0.01)
        return await asyncio.gather(*(batch.add(n) for n in range(3)), return_exceptions=True)

    results = asyncio.run(main())
    assert [str(r) for r in results] == ["database is locked"] * 3


def test_a_lone_item_is_written_after_the_delay() -> None:
    written: list[int] = []

    async def write(items: list[int]) -> None:
        written.extend(items)

    async def main() -> None:
        await asyncio.wait_for(WriteBatch(write, size=100, delay=0.01).add(7), timeout=5)

    asyncio.run(main())
    assert written == [7]


@pytest.mark.parametrize("size", [1, 2])
def test_small_batches(size: int) -> None:
    commits: list[list[str]] = []

    async def write(items: list[str]) -> None:
        commits.append(items)

    async def main() -> None:
        batch = WriteBatch(write, size=size, delay=10)
        await asyncio.gather(batch.add("a"), batch.add("b"))

    asyncio.run(main())
    assert sum(commits, []) == ["a", "b"] and all(len(c) <= size for c in commits)
