"""A queue worker on a machine whose resolver fails every name (issue 13): it backs off
instead of burning through the queue. `socket.getaddrinfo` is patched in this process, below
httpx and the fetcher's guard; once names resolve again (to a real local server) the same
worker archives every link."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.services.vault import Vault
from app.services.worker import Worker, WorkerOptions
from archiver.models import Check, Link
from archiver.queue import ARCHIVE, enqueue, queue_counts
from archiver.sources import parse_text
from tests.app._archive import make_settings
from tests.support import pages
from tests.support.site import LocalSite

HOSTS = 6


class Resolver:
    def __init__(self) -> None:
        self.real = socket.getaddrinfo
        self.down = True
        self.asked = 0

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.endswith(".example"):
            self.asked += 1
            if self.down:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            host = "127.0.0.1"
        return self.real(host, port, *args, **kwargs)


def test_a_worker_backs_off_while_the_network_is_down(
    tmp_path: Path, local_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = Resolver()
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    urls = []
    for n in range(HOSTS):
        body = pages.article(f"Page {n}", pages.filler(f"topic {n}"))
        local_site.route(f"/p{n}", body=body.encode())
        urls.append(f"http://site{n}.example:{local_site.port}/p{n}")
    vault = Vault(make_settings(tmp_path / "data", work_queue=True))
    try:
        store = vault.store
        ids = store.links.add_links(parse_text("\n".join(urls), "t.txt").links).link_ids
        enqueue(store.engine, ids, ARCHIVE)
        options = WorkerOptions(
            lease=timedelta(minutes=2),
            capacity=8,
            poll=0.05,
            outage_pause=0.5,
            outage_pause_max=0.5,
        )
        worker = Worker(store, vault.settings, options)

        async def for_a_while(seconds: float) -> None:
            asyncio.get_running_loop().call_later(seconds, worker.stop)
            await worker.run(lambda _link_id: None)

        asyncio.run(for_a_while(1.6))
        # Down all along: paused between tries, the links still queued, nothing recorded.
        assert worker.report.outages >= 1
        assert resolver.asked <= 4 * HOSTS  # about one try per pause, not a spin
        with store.session() as session:
            assert {link.status for link in session.scalars(select(Link))} == {"pending"}
            assert list(session.scalars(select(Check))) == []
        assert queue_counts(store.engine).queued == HOSTS

        resolver.down = False  # the network is back: the next worker archives them all
        again = WorkerOptions(lease=options.lease, capacity=8, poll=0.05, exit_when_idle=True)
        worker = Worker(store, vault.settings, again)
        asyncio.run(worker.run(lambda _link_id: None))
        with store.session() as session:
            assert {link.status for link in session.scalars(select(Link))} == {"ok"}
    finally:
        vault.close()
