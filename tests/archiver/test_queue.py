"""The shared work queue on SQLite and a real PostgreSQL: claims, leases, expiry, release,
politeness per host across workers, and a result stored with its release in one step."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text, update

from archiver import Store, make_engine
from archiver.models import Link, LinkStatus
from archiver.queue import (
    ARCHIVE,
    GAVE_UP,
    MAX_ATTEMPTS,
    REFRESH,
    QueueStore,
    WorkQueue,
    enqueue,
    queue_counts,
)
from archiver.records import LinkSpec, StoredPage, compress
from archiver.refresh import RefreshSelection, refresh_tasks

LONG = timedelta(minutes=5)


def add(store: Store, *urls: str) -> list[int]:
    specs = [
        LinkSpec(url=u, normalized_url=u, title=None, section=None, source="t", line=None)
        for u in urls
    ]
    return store.links.add_links(specs).link_ids


def urls(hosts: int, per_host: int) -> list[str]:
    # Interleaved, so the oldest links are spread over every host.
    return [f"http://h{h}.example/p{n}" for n in range(per_host) for h in range(hosts)]


def worker(store: Store, owner: str, lease: timedelta = LONG, per_host: int = 2) -> WorkQueue:
    return WorkQueue(store.engine, owner=owner, lease=lease, per_host=per_host)


def page(body: bytes = b"<p>hello</p>") -> StoredPage:
    import hashlib

    return StoredPage(
        final_url="http://h0.example/p0",
        http_status=200,
        content_type="text/html",
        headers={"etag": '"v1"'},
        content_hash=hashlib.sha256(body).hexdigest(),
        raw_compressed=compress(body),
        size=len(body),
        kind="html",
        text="hello",
        error=None,
        title="Hello",
        author=None,
        published=None,
        sitename=None,
        description=None,
        language="en",
    )


def leases(engine: Engine) -> dict[int, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(select(Link.id, Link.lease_owner).where(Link.queued.is_not(None)))
        return {row.id: row.lease_owner for row in rows}


def test_enqueue_marks_each_link_once_and_knows_its_host(store: Store) -> None:
    ids = add(store, "http://Example.ORG:8080/a", "https://b.example/x", "mailto:x@y.z")
    assert enqueue(store.engine, ids, ARCHIVE) == 3
    assert enqueue(store.engine, ids + ids, REFRESH) == 0  # already queued: left as it is
    with store.session() as session:
        rows = session.execute(select(Link.host, Link.queued).order_by(Link.id)).all()
    assert rows == [("example.org", ARCHIVE), ("b.example", ARCHIVE), ("", ARCHIVE)]
    assert queue_counts(store.engine).queued == 3
    with pytest.raises(ValueError):
        enqueue(store.engine, ids, "delete")


def test_a_link_checked_since_it_was_chosen_is_not_queued_again(store: Store) -> None:
    """The scheduler chooses the links due, and meanwhile a worker finishes one of them:
    queued again, it would be fetched twice in a row."""
    ids = add(store, "http://h0.example/a", "http://h1.example/b", "http://h2.example/c")
    store.links.record_page(ids[2], page())  # archived before the scheduler looked
    due = refresh_tasks(store, RefreshSelection(everything=True), LONG)
    chosen = {task.id: task.checked_at for task in due}
    assert chosen[ids[0]] is None and chosen[ids[2]] is not None
    enqueue(store.engine, [ids[0], ids[1]], ARCHIVE)  # as the write API queued them earlier
    queue = worker(store, "w1")
    QueueStore(store.engine, store.rot, queue).record_page(queue.claim(1)[0].id, page())
    store.links.record_failure(ids[2], LinkStatus.FAILED, "HTTP 503", 503)  # checked since, too

    assert enqueue(store.engine, ids, REFRESH, seen=chosen) == 0
    assert queue.pending() == 1  # only the link still queued from before
    fresh = {task.id: task.checked_at for task in store.links.tasks_for_archive([ids[2]])}
    assert enqueue(store.engine, [ids[2]], REFRESH, seen=fresh) == 1  # as seen: queued


def test_claims_go_oldest_first_within_the_per_host_limit_across_workers(store: Store) -> None:
    ids = add(store, *urls(hosts=3, per_host=5))
    enqueue(store.engine, ids, ARCHIVE)
    first, second = worker(store, "w1"), worker(store, "w2")

    taken = first.claim(100)
    assert [t.id for t in taken] == ids[:6]  # two per host, in list order
    assert second.claim(100) == []  # every host is at its limit, whoever holds it
    assert queue_counts(store.engine).leased == 6

    # One link of h0 handed back: h0 has room for one more, for any worker.
    assert first.release([ids[0]]) == 1
    again = second.claim(100)
    assert [t.id for t in again] == [ids[0]]
    assert leases(store.engine)[ids[0]] == "w2"


def test_a_full_host_at_the_front_does_not_hide_the_others(store: Store) -> None:
    crowded = add(store, *[f"http://busy.example/{n}" for n in range(200)])
    later = add(store, "http://quiet.example/1", "http://quiet.example/2")
    enqueue(store.engine, crowded, ARCHIVE)
    enqueue(store.engine, later, ARCHIVE)
    taken = {t.id for t in worker(store, "w1").claim(5)}
    assert taken == {*crowded[:2], *later}


def test_refresh_tasks_carry_validators(store: Store) -> None:
    archived, fresh = add(store, "http://h0.example/p0", "http://h1.example/p1")
    store.links.record_page(archived, page())
    enqueue(store.engine, [archived], REFRESH)
    enqueue(store.engine, [fresh], ARCHIVE)
    tasks = {t.id: t for t in worker(store, "w1").claim(10)}
    assert tasks[archived].etag == '"v1"' and tasks[archived].content_hash is not None
    assert tasks[archived].status == LinkStatus.OK
    assert tasks[fresh].etag is None and tasks[fresh].status == LinkStatus.PENDING


def test_an_expired_lease_goes_to_another_worker(store: Store) -> None:
    ids = add(store, *urls(hosts=1, per_host=2))
    enqueue(store.engine, ids, ARCHIVE)
    short = timedelta(seconds=0.5)
    dying, other = worker(store, "dying", short), worker(store, "other", short)
    assert len(dying.claim(10)) == 2
    assert other.claim(10) == []
    time.sleep(0.7)  # the dying worker renews nothing
    counts = queue_counts(store.engine)
    assert (counts.leased, counts.expired) == (0, 2)
    assert {t.id for t in other.claim(10)} == set(ids)
    # Back to life, the first worker learns it lost them, and cannot take them off the queue.
    assert dying.renew(ids) == set(ids)
    with store.engine.begin() as conn:
        dying.finish(conn, ids)
    assert leases(store.engine) == {ids[0]: "other", ids[1]: "other"}


def _expire_leases(store: Store) -> None:
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)  # as if their workers died long ago
    with store.engine.begin() as conn:
        conn.execute(update(Link).where(Link.lease_owner.is_not(None)).values(lease_until=long_ago))


def test_a_link_that_kills_every_worker_is_given_up_on(store: Store) -> None:
    poison, archived, fine = add(
        store, "http://h0.example/poison", "http://h1.example/archived", "http://h2.example/ok"
    )
    store.links.record_page(archived, page())
    enqueue(store.engine, [poison, archived], ARCHIVE)
    for attempt in range(MAX_ATTEMPTS):  # each worker dies holding them
        taken = worker(store, f"doomed{attempt}").claim(10)
        assert {t.id for t in taken} == {poison, archived}
        _expire_leases(store)
    enqueue(store.engine, [fine], ARCHIVE)
    assert [t.id for t in worker(store, "next").claim(10)] == [fine]
    with store.session() as session:
        given_up = {link.id: link for link in session.scalars(select(Link))}
        assert given_up[poison].status == LinkStatus.FAILED
        assert given_up[archived].status == LinkStatus.OK  # its copy stays searchable
        for link_id in (poison, archived):
            assert given_up[link_id].error == GAVE_UP and given_up[link_id].queued is None
    # Queued again later (a refresh, the write API), it gets all its attempts anew.
    enqueue(store.engine, [poison], REFRESH)
    assert [t.id for t in worker(store, "later").claim(1)] == [poison]


def test_handing_back_at_shutdown_is_not_an_attempt(store: Store) -> None:
    ids = add(store, "http://h0.example/a")
    enqueue(store.engine, ids, ARCHIVE)
    for n in range(MAX_ATTEMPTS + 2):
        one = worker(store, f"polite{n}")
        assert [t.id for t in one.claim(1)] == ids
        assert one.release() == 1
    assert [t.id for t in worker(store, "last").claim(1)] == ids


def test_renewal_keeps_a_lease_alive(store: Store) -> None:
    ids = add(store, "http://h0.example/a")
    enqueue(store.engine, ids, ARCHIVE)
    short = timedelta(seconds=0.6)
    holder, other = worker(store, "holder", short), worker(store, "other", short)
    holder.claim(1)
    for _ in range(4):
        time.sleep(0.3)
        assert holder.renew(ids) == set()
        assert other.claim(1) == []


def test_release_with_a_delay_holds_the_link_back(store: Store) -> None:
    ids = add(store, "http://h0.example/a")
    enqueue(store.engine, ids, ARCHIVE)
    one = worker(store, "one")
    one.claim(1)
    one.release(ids, delay=timedelta(seconds=0.5))
    assert one.claim(1) == []
    assert queue_counts(store.engine).leased == 0  # a delay is not a lease: no host slot
    time.sleep(0.6)
    assert [t.id for t in one.claim(1)] == ids
    assert one.release() == 1  # everything it holds
    assert one.pending() == 1


def test_a_stored_result_takes_the_link_off_the_queue_in_the_same_transaction(
    store: Store,
) -> None:
    ok, bad, same = add(store, "http://h0.example/a", "http://h1.example/b", "http://h2.example/c")
    enqueue(store.engine, [ok, bad, same], ARCHIVE)
    queue = worker(store, "w1")
    queue_store = QueueStore(store.engine, store.rot, queue)
    queue.claim(10)
    queue_store.record_page(ok, page())
    queue_store.record_failure(bad, LinkStatus.FAILED, "HTTP 503", 503)
    queue_store.record_unchanged_many([(same, 304)])
    assert queue.pending() == 0
    # The plain store (archive without the queue) leaves queue columns alone.
    enqueue(store.engine, [ok], REFRESH)
    store.links.record_page(ok, page())
    assert queue.pending() == 1


def test_concurrent_claims_never_exceed_a_host_limit_nor_share_a_link(store: Store) -> None:
    """Eight workers claim at once, round after round: the race where two workers each see
    the last free slot of a host must not happen."""
    ids = add(store, *urls(hosts=3, per_host=40))
    enqueue(store.engine, ids, ARCHIVE)
    workers = [worker(store, f"w{n}", per_host=3) for n in range(8)]
    for _ in range(5):
        barrier = threading.Barrier(len(workers))
        claimed: list[list[int]] = [[] for _ in workers]
        errors: list[BaseException] = []

        def claim(n: int) -> None:
            try:
                barrier.wait()
                claimed[n] = [t.id for t in workers[n].claim(4)]
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(workers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        every = [link_id for ids_ in claimed for link_id in ids_]
        assert len(every) == len(set(every)) == 9  # three hosts, three each
        with store.engine.connect() as conn:
            per_host = Counter(
                dict(
                    conn.execute(
                        text(
                            "SELECT host, count(*) FROM links "
                            "WHERE lease_owner IS NOT NULL GROUP BY host"
                        )
                    ).all()
                )
            )
        assert max(per_host.values()) == 3
        for n, taken in enumerate(claimed):  # finish the round: everything off the queue
            with store.engine.begin() as conn:
                workers[n].finish(conn, taken)


def test_the_migration_gives_existing_links_their_host(tmp_path) -> None:
    from alembic import command

    from archiver.schema import _config, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0002")
        conn.execute(
            text(
                "INSERT INTO links (url, normalized_url, tags, status, failure_count, "
                "created_at, needs_index) VALUES ('https://Old.Example/x', 'x', '[]', 'ok', 0, "
                "'2024-01-01 00:00:00', 0)"
            )
        )
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT host, queued FROM links")).one() == ("old.example", None)
