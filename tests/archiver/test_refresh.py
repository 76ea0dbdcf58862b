"""Refreshing against a real local site that changes between runs: what becomes a snapshot,
what only a check, and when a link is dead."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from archiver import Store, make_engine
from archiver.config import FetchConfig
from archiver.models import Check, Link, LinkStatus, Snapshot, utcnow
from archiver.pipeline import LinkDone, Pipeline
from archiver.refresh import RefreshSelection, refresh_tasks
from archiver.rot import RotPolicy
from archiver.sources import parse_text
from tests.support import pages
from tests.support.editable import EditablePage
from tests.support.site import LocalSite

WEEK = timedelta(days=7)


class CountingExecutor(ThreadPoolExecutor):
    """Runs extraction in a thread and counts the pages handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(
        make_engine(database_url),
        RotPolicy(dead_after_failures=3, failure_spacing=timedelta(0)),
    )
    store.create_schema()
    yield store
    store.engine.dispose()


def config() -> FetchConfig:
    return FetchConfig(allow_private=True, deadline=3.0, read_timeout=2.0, max_retries=0)


def run(store: Store, tasks: list[Any]) -> tuple[list[LinkDone], int]:
    """Runs the tasks; returns what finished and how many pages went to extraction."""
    done: list[LinkDone] = []
    with CountingExecutor() as executor:
        pipeline = Pipeline(
            store.links, config(), workers=1, on_done=done.append, executor=executor
        )
        asyncio.run(pipeline.run(tasks))
        return done, executor.submitted


def archive(store: Store, url: str) -> int:
    imported = store.links.add_links(parse_text(url, "test.txt").links)
    run(store, store.links.tasks_for_archive(imported.link_ids))
    return imported.link_ids[0]


def refresh(store: Store, **selection: Any) -> tuple[list[LinkDone], int]:
    chosen = RefreshSelection(**(selection or {"everything": True}))
    return run(store, refresh_tasks(store, chosen, WEEK))


def link(store: Store, link_id: int) -> Link:
    found = store.links.get_link(link_id)
    assert found is not None
    return found


def snapshots(store: Store, link_id: int) -> list[Snapshot]:
    with store.session() as session:
        query = select(Snapshot).where(Snapshot.link_id == link_id).order_by(Snapshot.id)
        return list(session.scalars(query))


def checks(store: Store, link_id: int) -> list[Check]:
    with store.session() as session:
        return list(session.scalars(select(Check).where(Check.link_id == link_id)))


def test_an_edited_page_gets_a_new_snapshot(store: Store, local_site: LocalSite) -> None:
    page = EditablePage("Notes", pages.filler("the first draft about frames"))
    local_site.route("/notes", handler=page)
    link_id = archive(store, local_site.url("/notes"))
    first = snapshots(store, link_id)
    assert len(first) == 1

    page.edit(pages.filler("the second draft about code objects"))
    done, extracted = refresh(store)

    assert [d.changed for d in done] == [True] and extracted == 1
    after = snapshots(store, link_id)
    assert len(after) == 2
    assert "second draft" in after[1].text and "first draft" in after[0].text
    current = link(store, link_id)
    assert current.snapshot_id == after[1].id and current.needs_index
    assert checks(store, link_id)[-1].changed is True


@pytest.mark.parametrize("validator", ["etag", "last_modified"])
def test_an_unchanged_page_costs_a_304_and_no_extraction(
    store: Store, local_site: LocalSite, validator: str
) -> None:
    page = EditablePage(
        "Stable",
        pages.filler("stable things"),
        etag=validator == "etag",
        last_modified=validator == "last_modified",
    )
    local_site.route("/stable", handler=page)
    link_id = archive(store, local_site.url("/stable"))
    store.index_bookkeeping.mark_indexed([link_id])

    done, extracted = refresh(store)

    sent = local_site.requests("/stable")[-1].headers
    if validator == "etag":
        assert sent["if-none-match"] == page.current_etag
    else:
        assert sent["if-modified-since"] == page.current_date
    assert page.not_modified == 1
    assert extracted == 0
    assert [(d.status, d.changed) for d in done] == [(LinkStatus.OK, False)]
    assert len(snapshots(store, link_id)) == 1
    last = checks(store, link_id)[-1]
    assert (last.status, last.http_status, last.changed) == ("ok", 304, False)
    assert last.snapshot_id == link(store, link_id).snapshot_id
    assert not link(store, link_id).needs_index  # nothing for the index to do


def test_a_server_ignoring_validators_is_judged_by_the_hash(
    store: Store, local_site: LocalSite
) -> None:
    page = EditablePage("Stubborn", pages.filler("stubborn servers"), honour_conditionals=False)
    local_site.route("/stubborn", handler=page)
    link_id = archive(store, local_site.url("/stubborn"))

    done, extracted = refresh(store)

    assert "if-none-match" in local_site.requests("/stubborn")[-1].headers
    assert page.not_modified == 0
    assert extracted == 0  # same bytes: the hash says unchanged before any extraction
    assert [d.changed for d in done] == [False]
    assert len(snapshots(store, link_id)) == 1
    last = checks(store, link_id)[-1]
    assert (last.http_status, last.changed) == (200, False)


def test_a_server_without_validators_is_judged_by_the_hash(
    store: Store, local_site: LocalSite
) -> None:
    local_site.route("/plain", pages.article("Plain", pages.filler("plain pages")).encode())
    link_id = archive(store, local_site.url("/plain"))

    done, extracted = refresh(store)

    sent = local_site.requests("/plain")[-1].headers
    assert "if-none-match" not in sent and "if-modified-since" not in sent
    assert extracted == 0 and [d.changed for d in done] == [False]
    assert len(snapshots(store, link_id)) == 1


def test_bytes_changed_but_not_the_text_is_no_new_snapshot(
    store: Store, local_site: LocalSite
) -> None:
    page = EditablePage("Dated", pages.filler("dated pages"), etag=False)
    local_site.route("/dated", handler=page)
    link_id = archive(store, local_site.url("/dated"))

    page.noise = "rendered at 12:00:01"
    done, extracted = refresh(store)

    assert extracted == 1  # the bytes differ, so the text had to be compared
    assert [d.changed for d in done] == [False]
    assert len(snapshots(store, link_id)) == 1


def test_removed_page_is_dead_and_keeps_its_copy(store: Store, local_site: LocalSite) -> None:
    page = EditablePage("Doomed", pages.filler("doomed pages"))
    local_site.route("/doomed", handler=page)
    link_id = archive(store, local_site.url("/doomed"))
    store.index_bookkeeping.mark_indexed([link_id])
    copy = link(store, link_id).snapshot_id

    page.fail(404)
    done, _ = refresh(store)
    # Issue 13: a link with a copy is dead only once a second check confirms the 404 (this
    # store has no failure spacing); until then it stays ok, unreachable since the first.
    assert [d.status for d in done] == [LinkStatus.OK]
    first = link(store, link_id)
    assert first.unreachable_since is not None and first.unreachable_reason == "HTTP 404 Not Found"
    done, _ = refresh(store)

    assert [d.status for d in done] == [LinkStatus.DEAD]
    dead = link(store, link_id)
    assert dead.status == "dead" and dead.dead_since is not None
    assert dead.error == "HTTP 404 Not Found"
    assert dead.snapshot_id == copy  # the last good copy stays the searchable one
    assert dead.needs_index  # the index shows the status

    page.restore()
    done, _ = refresh(store)
    back = link(store, link_id)
    assert [d.status for d in done] == [LinkStatus.OK]
    assert back.status == "ok" and back.dead_since is None and back.error is None
    assert [c.status for c in checks(store, link_id)] == ["ok", "unreachable", "dead", "ok"]


def test_flapping_5xx_stays_failed_until_the_threshold(store: Store, local_site: LocalSite) -> None:
    page = EditablePage("Flaky", pages.filler("flaky hosts"))
    local_site.route("/flaky", handler=page)
    link_id = archive(store, local_site.url("/flaky"))

    page.fail(503)
    statuses = []
    for _ in range(3):  # dead_after_failures=3, no spacing in this store
        done, _ = refresh(store)
        statuses.append(done[0].status.value)
    assert statuses == ["failed", "failed", "dead"]
    dead = link(store, link_id)
    assert dead.status == "dead" and dead.failure_count == 3
    assert dead.error is not None and "503" in dead.error and "3 checks" in dead.error
    assert dead.snapshot_id is not None

    # Still down: a dead link stays dead through temporary failures.
    assert refresh(store)[0][0].status is LinkStatus.DEAD

    page.restore()
    assert refresh(store)[0][0].status is LinkStatus.OK
    page.fail(503)
    assert refresh(store)[0][0].status is LinkStatus.FAILED  # a new streak starts at one
    assert link(store, link_id).failure_count == 1


def test_failures_count_only_when_spaced(store: Store, local_site: LocalSite) -> None:
    store.rot = RotPolicy(dead_after_failures=3, failure_spacing=timedelta(hours=1))
    page = EditablePage("Slow", pages.filler("slow hosts"))
    local_site.route("/slow", handler=page)
    link_id = archive(store, local_site.url("/slow"))
    page.fail(500)

    def age_history() -> None:  # as if the checks so far happened two hours earlier
        with store.session() as session:
            for check in session.scalars(select(Check).where(Check.link_id == link_id)):
                check.checked_at -= timedelta(hours=2)

    for _ in range(4):  # four failures within minutes count once
        refresh(store)
    assert (link(store, link_id).status, link(store, link_id).failure_count) == ("failed", 1)
    age_history()
    refresh(store)
    assert (link(store, link_id).status, link(store, link_id).failure_count) == ("failed", 2)
    age_history()
    done, _ = refresh(store)
    assert done[0].status is LinkStatus.DEAD and link(store, link_id).failure_count == 3


def test_what_a_refresh_selects(store: Store, local_site: LocalSite) -> None:
    store.rot = RotPolicy(dead_after_failures=5, failure_spacing=timedelta(hours=1))
    for name in ("fresh", "old", "failing"):
        local_site.route(f"/{name}", pages.article(name, pages.filler(name)).encode())
    ids = {name: archive(store, local_site.url(f"/{name}")) for name in ("fresh", "old")}
    ids["failing"] = archive(store, local_site.url("/failing"))
    now = utcnow()
    with store.session() as session:
        for name, age, status, failures in (
            ("fresh", timedelta(hours=1), "ok", 0),
            ("old", timedelta(days=8), "ok", 0),
            ("failing", timedelta(hours=3), "failed", 2),  # retry delay 2h: due
        ):
            session.execute(
                update(Link)
                .where(Link.id == ids[name])
                .values(checked_at=now - age, status=status, failure_count=failures)
            )

    def chosen(**selection: Any) -> set[str]:
        tasks = refresh_tasks(store, RefreshSelection(**selection), WEEK, now=now)
        return {name for name, i in ids.items() if i in {t.id for t in tasks}}

    assert chosen() == {"old", "failing"}
    assert chosen(failed_only=True) == {"failing"}
    assert chosen(older_than=timedelta(minutes=30)) == {"fresh", "old", "failing"}
    assert chosen(older_than=timedelta(days=2)) == {"old"}
    assert chosen(everything=True) == {"fresh", "old", "failing"}
    assert chosen(link_ids=[ids["fresh"]]) == {"fresh"}
    with store.session() as session:  # a third counted failure: the next try waits 4h
        session.execute(update(Link).where(Link.id == ids["failing"]).values(failure_count=3))
    assert chosen() == {"old"}
    task = refresh_tasks(store, RefreshSelection(link_ids=[ids["old"]]), WEEK)[0]
    assert task.content_hash is not None and task.status == "ok"
