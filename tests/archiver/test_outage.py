"""Link rot you can trust (issue 13), against real local servers: a run that looks like a local
outage marks nothing dead, a death signal on an archived link needs confirming a day later,
and one host down counts once.

Names are resolved through `socket.getaddrinfo`, patched in this process below httpx and the
fetcher's guard: while a name is "down" it fails as an offline resolver fails ("Name or
service not known"); otherwise it points at the local server.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from archiver import Store, make_engine
from archiver.config import FetchConfig
from archiver.models import Check, Link, LinkStatus
from archiver.pipeline import LinkDone, Pipeline, RunSummary
from archiver.refresh import RefreshSelection, refresh_tasks
from archiver.rot import RotPolicy
from archiver.sources import parse_text
from tests.support import pages
from tests.support.editable import EditablePage
from tests.support.site import LocalSite

DAY = timedelta(days=1)


class Resolver:
    """socket.getaddrinfo for names under .example: the local server, or "not known"."""

    def __init__(self) -> None:
        self.real = socket.getaddrinfo
        self.down: set[str] = set()
        self.all_down = False

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.endswith(".example"):
            if self.all_down or name in self.down:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            host = "127.0.0.1"
        return self.real(host, port, *args, **kwargs)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    fake = Resolver()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(make_engine(database_url), RotPolicy(dead_after_failures=3, failure_spacing=DAY))
    store.create_schema()
    yield store
    store.engine.dispose()


def run(store: Store, tasks: list[Any]) -> tuple[RunSummary, list[LinkDone]]:
    done: list[LinkDone] = []
    config = FetchConfig(allow_private=True, deadline=3.0, read_timeout=2.0, max_retries=0)
    with ThreadPoolExecutor(1) as executor:
        pipeline = Pipeline(store.links, config, workers=1, on_done=done.append, executor=executor)
        return asyncio.run(pipeline.run(tasks)), done


def archive(store: Store, urls: list[str]) -> list[int]:
    imported = store.links.add_links(parse_text("\n".join(urls), "test.txt").links)
    summary, _ = run(store, store.links.tasks_for_archive(imported.link_ids))
    assert summary.outage is None
    return imported.link_ids


def refresh(store: Store) -> tuple[RunSummary, list[LinkDone]]:
    return run(store, refresh_tasks(store, RefreshSelection(everything=True), 7 * DAY))


def links(store: Store) -> list[Link]:
    with store.session() as session:
        return list(session.scalars(select(Link).order_by(Link.id)))


def checks(store: Store, link_id: int) -> list[str]:
    with store.session() as session:
        query = select(Check.status).where(Check.link_id == link_id).order_by(Check.id)
        return list(session.scalars(query))


def a_day_passes(store: Store) -> None:
    """Moves every recorded time back a day and a minute, as if the next check came then."""
    back = DAY + timedelta(minutes=1)
    with store.session() as session:
        for link in session.scalars(select(Link)):
            if link.unreachable_since is not None:
                link.unreachable_since -= back
            if link.checked_at is not None:
                link.checked_at -= back
        for check in session.scalars(select(Check)):
            check.checked_at -= back


def serve(site: LocalSite, hosts: int, per_host: int) -> list[str]:
    urls = []
    for h in range(hosts):
        for n in range(per_host):
            path = f"/h{h}/p{n}"
            body = pages.article(f"Page {h}-{n}", pages.filler(f"topic {h} {n}"))
            site.route(path, body=body.encode())
            urls.append(f"http://site{h}.example:{site.port}{path}")
    return urls


def test_nothing_resolves_marks_nothing_dead(
    store: Store, local_site: LocalSite, resolver: Resolver
) -> None:
    ids = archive(store, serve(local_site, hosts=4, per_host=2))
    assert {link.status for link in links(store)} == {"ok"}

    resolver.all_down = True
    summary, done = refresh(store)

    assert summary.outage is not None
    assert summary.outage.startswith("the network looks down: 4 of 4 hosts failed name resolution")
    assert "nothing was marked dead" in summary.outage
    assert not summary.counts["dead"] and not summary.counts["failed"]
    assert all(item.inconclusive for item in done)
    for link in links(store):
        assert link.status == "ok" and link.failure_count == 0
        assert link.unreachable_since is None and link.dead_since is None
        assert link.snapshot_id is not None
    # The checks are kept in the history, marked as counting for nothing.
    tried = [link_id for link_id in ids if checks(store, link_id)[1:]]
    assert tried and all(checks(store, i) == ["ok", "inconclusive"] for i in tried)

    resolver.all_down = False  # the network is back: a refresh finds every page again
    summary, _ = refresh(store)
    assert summary.outage is None and summary.counts["ok"] == len(ids)


def test_an_outage_stops_the_run_early(
    store: Store, local_site: LocalSite, resolver: Resolver
) -> None:
    archive(store, serve(local_site, hosts=40, per_host=1))
    resolver.all_down = True
    summary, done = refresh(store)
    assert summary.outage is not None
    assert summary.not_tried > 0  # the rest were not fetched at all
    assert len(done) + summary.not_tried == 40
    assert {link.status for link in links(store)} == {"ok"}


def test_one_host_down_counts_once(store: Store, local_site: LocalSite, resolver: Resolver) -> None:
    archive(store, serve(local_site, hosts=4, per_host=3))
    resolver.down = {"site0.example"}
    summary, _ = refresh(store)

    assert summary.outage is None  # one host of four is that host's problem
    down = [link for link in links(store) if link.host == "site0.example"]
    assert {link.status for link in down} == {"ok"}  # archived: not dead on one signal
    counted = [link for link in down if link.unreachable_since is not None]
    assert len(counted) == 1 and counted[0].unreachable_reason == "host not found"
    others = [checks(store, link.id)[-1] for link in down if link not in counted]
    assert others == ["inconclusive", "inconclusive"]

    a_day_passes(store)
    refresh(store)  # still down a day later: the counted link is confirmed dead
    assert sum(link.status == "dead" for link in links(store)) <= 2
    assert all(link.snapshot_id is not None for link in links(store))


def test_404_once_then_200_stays_ok(store: Store, local_site: LocalSite) -> None:
    page = EditablePage("Deploying", pages.filler("deploy windows"))
    local_site.route("/deploy", handler=page)
    [link_id] = archive(store, [local_site.url("/deploy")])

    page.fail(404)
    _, done = refresh(store)
    assert [item.status for item in done] == [LinkStatus.OK]
    [link] = links(store)
    assert link.status == "ok" and link.unreachable_since is not None
    assert link.unreachable_reason == "HTTP 404 Not Found"

    a_day_passes(store)
    page.restore()
    _, done = refresh(store)
    [link] = links(store)
    assert [item.status for item in done] == [LinkStatus.OK]
    assert link.status == "ok" and link.unreachable_since is None
    assert link.unreachable_reason is None
    assert checks(store, link_id) == ["ok", "unreachable", "ok"]


def test_404_twice_a_day_apart_is_dead_with_its_copy(store: Store, local_site: LocalSite) -> None:
    page = EditablePage("Removed", pages.filler("removed pages"))
    local_site.route("/removed", handler=page)
    [link_id] = archive(store, [local_site.url("/removed")])
    copy = links(store)[0].snapshot_id

    page.fail(404)
    refresh(store)
    first = links(store)[0].unreachable_since
    refresh(store)  # an hour later is not a day later: still only unconfirmed
    [link] = links(store)
    assert link.status == "ok" and link.unreachable_since == first

    a_day_passes(store)
    _, done = refresh(store)
    [link] = links(store)
    assert [item.status for item in done] == [LinkStatus.DEAD]
    assert link.status == "dead" and link.dead_since is not None
    assert link.snapshot_id == copy
    assert link.unreachable_since is None
    assert checks(store, link_id) == ["ok", "unreachable", "unreachable", "dead"]


def test_a_link_never_archived_is_dead_at_once(store: Store, local_site: LocalSite) -> None:
    page = EditablePage("Never", pages.filler("never there"))
    page.fail(410)
    local_site.route("/never", handler=page)
    imported = store.links.add_links(parse_text(local_site.url("/never"), "t.txt").links)
    _, done = run(store, store.links.tasks_for_archive(imported.link_ids))
    assert [item.status for item in done] == [LinkStatus.DEAD]


def test_the_confirming_check_is_due_a_failure_spacing_later(
    store: Store, local_site: LocalSite
) -> None:
    page = EditablePage("Maybe gone", pages.filler("maybe gone"))
    local_site.route("/maybe", handler=page)
    other = EditablePage("Fine", pages.filler("fine pages"))
    local_site.route("/fine", handler=other)
    archive(store, [local_site.url("/maybe"), local_site.url("/fine")])
    page.fail(404)
    run(store, refresh_tasks(store, RefreshSelection(link_ids=[links(store)[0].id]), 7 * DAY))

    def due() -> list[str]:
        return [task.url for task in refresh_tasks(store, RefreshSelection(), 7 * DAY)]

    assert due() == []  # checked moments ago
    a_day_passes(store)
    assert due() == [local_site.url("/maybe")]  # the link to confirm, not the regular one
