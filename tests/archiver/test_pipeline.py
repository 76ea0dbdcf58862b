"""The whole archiving path against a real local site: every fault ends in the right status."""

from __future__ import annotations

import asyncio

import pytest

from archiver.config import FetchConfig
from archiver.models import Check, Link, LinkStatus, Snapshot
from archiver.pipeline import LinkDone, Pipeline
from archiver.records import decompress
from archiver.sources import parse_text
from archiver.store import Store
from tests.support import pages
from tests.support.site import Exchange, ForwardProxy, LocalSite, Response

MB = 1024 * 1024


def config(**overrides: object) -> FetchConfig:
    base: dict[str, object] = {
        "allow_private": True,
        "deadline": 3.0,
        "read_timeout": 2.0,
        "retry_backoff": 0.01,
        "max_bytes": 1 * MB,
        "per_host_concurrency": 8,
    }
    base.update(overrides)
    return FetchConfig(**base)  # type: ignore[arg-type]


def archive(store: Store, urls: list[str], cfg: FetchConfig) -> dict[str, Link]:
    """Imports the URLs as a text list and archives them; returns links by listed URL."""
    imported = store.links.add_links(parse_text("\n".join(urls), "test.txt").links)
    tasks = store.links.tasks_for_archive(imported.link_ids)
    done: list[LinkDone] = []
    pipeline = Pipeline(store.links, cfg, workers=1, on_done=done.append)
    asyncio.run(pipeline.run(tasks))
    assert sorted(d.link_id for d in done) == sorted(t.id for t in tasks)
    with store.session() as session:
        links = session.query(Link).all()
        return {link.url: link for link in links}


def stall(ex: Exchange) -> None:
    ex.send_head(200, content_length=100_000)
    ex.write(b"<html><body><p>")
    ex.sleep(10)


def drop(ex: Exchange) -> None:
    ex.drop()


def drop_mid_body(ex: Exchange) -> None:
    ex.send_head(200, content_length=10_000)
    ex.write(b"<html><body><p>half a page")
    ex.drop()


def gzip_bomb(ex: Exchange) -> None:
    ex.send_head(200, {"Content-Encoding": "gzip"}, chunked=True)
    for piece in pages.gzip_bomb_chunks(200 * MB):
        ex.write(piece)
    ex.end()


def huge(ex: Exchange) -> None:
    ex.send_head(200, chunked=True)
    block = b"<p>" + b"x" * 65_536 + b"</p>"
    for _ in range(40):  # 2.6 MB, over the 1 MB cap
        ex.write(block)
    ex.end()


def test_every_fault_ends_in_the_right_status(store: Store, local_site: LocalSite) -> None:
    site = local_site
    site.route("/article", pages.article("Bytecode", pages.filler("bytecode")).encode())
    site.route("/stall", handler=stall)
    site.redirect("/loop-a", "/loop-b")
    site.redirect("/loop-b", "/loop-a")
    site.route("/gone-404", b"no", status=404)
    site.route("/gone-410", b"no", status=410)
    site.sequence(
        "/rate-limited",
        [
            Response(429, headers={"Retry-After": "1"}),
            Response(200, pages.article("Limits", pages.filler("rate limits")).encode()),
        ],
    )
    site.sequence(
        "/flaky",
        [
            Response(503),
            Response(503),
            Response(200, pages.article("Flaky", pages.filler("retries")).encode()),
        ],
    )
    site.route("/drop", handler=drop)
    site.route("/drop-mid-body", handler=drop_mid_body)
    site.route("/bomb", handler=gzip_bomb)
    site.route("/huge", handler=huge)
    site.route("/image.png", pages.PNG, content_type="image/png")
    cp1252 = pages.article(
        "Caf\xe9", "Le caf\xe9 co\xfbte 3 \u20ac \u2014 \u201cvraiment\u201d. " * 20, charset=None
    ).replace(
        "<head>", '<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    )
    site.route("/cp1252", cp1252.encode("cp1252"), content_type="text/html")
    japanese = "日本語の文章です。インタプリタの内部構造について説明します。" * 10
    sjis = pages.article("日本語", japanese, charset="shift_jis")
    site.route("/sjis", sjis.encode("shift_jis"), content_type="text/html")
    site.route(
        "/paper.pdf",
        pages.pdf("Frame objects hold the evaluation stack"),
        content_type="application/pdf",
    )
    site.route(
        "/notes.txt",
        b"Plain notes about the GIL and reference counting.\n",
        content_type="text/plain; charset=utf-8",
    )

    paths = [
        "/article",
        "/stall",
        "/loop-a",
        "/gone-404",
        "/gone-410",
        "/rate-limited",
        "/flaky",
        "/drop",
        "/drop-mid-body",
        "/bomb",
        "/huge",
        "/image.png",
        "/cp1252",
        "/sjis",
        "/paper.pdf",
        "/notes.txt",
    ]
    links = archive(store, [site.url(p) for p in paths], config())
    status = {p: links[site.url(p)].status for p in paths}

    assert status == {
        "/article": "ok",
        "/stall": "failed",
        "/loop-a": "failed",
        "/gone-404": "dead",
        "/gone-410": "dead",
        "/rate-limited": "ok",
        "/flaky": "ok",
        "/drop": "failed",
        "/drop-mid-body": "failed",
        "/bomb": "failed",
        "/huge": "failed",
        "/image.png": "unsupported",
        "/cp1252": "ok",
        "/sjis": "ok",
        "/paper.pdf": "ok",
        "/notes.txt": "ok",
    }
    for path in paths:
        link = links[site.url(path)]
        assert (link.error is None) == (link.status == "ok"), (path, link.error)
    assert site.hits("/rate-limited") == 2
    assert site.hits("/flaky") == 3

    def text_of(path: str) -> str:
        with store.session() as session:
            link = session.get_one(Link, links[site.url(path)].id)
            assert link.snapshot is not None
            return link.snapshot.text

    assert "bytecode" in text_of("/article")
    assert "Copyright" not in text_of("/article")
    assert "Le café coûte 3 € — “vraiment”." in text_of("/cp1252")
    assert "インタプリタの内部構造" in text_of("/sjis")
    assert "Frame objects hold the evaluation stack" in text_of("/paper.pdf")
    assert "reference counting" in text_of("/notes.txt")


def test_raw_body_is_kept_compressed_for_re_extraction(store: Store, local_site: LocalSite) -> None:
    body = pages.article("Kept", pages.filler("raw bodies")).encode()
    local_site.route("/kept", body)
    archive(store, [local_site.url("/kept")], config())
    with store.session() as session:
        snapshot = session.query(Snapshot).one()
        assert decompress(snapshot.raw) == body
        assert snapshot.size == len(body)
        assert snapshot.content_type == "text/html"
        assert len(snapshot.content_hash) == 64


def test_blocked_addresses_are_never_requested(store: Store, local_site: LocalSite) -> None:
    port = local_site.port
    urls = [
        f"http://127.0.0.1:{port}/a",
        "http://169.254.169.254/latest/meta-data/",
        f"http://[::1]:{port}/b",
        f"http://[::ffff:127.0.0.1]:{port}/c",
        "javascript:alert(1)",
        "file:///etc/passwd",
    ]
    links = archive(store, urls, config(allow_private=False))
    assert {u: links[u].status for u in urls} == {u: "blocked" for u in urls}
    assert all(links[u].error for u in urls)
    assert local_site.hits() == 0


def test_redirect_into_a_private_address_is_blocked_through_a_proxy(
    store: Store, local_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_site.redirect("/hop", f"http://127.0.0.1:{local_site.port}/secret")
    local_site.route("/secret", b"internal")
    local_site.route("/public", pages.article("Public", pages.filler("proxies")).encode())
    with ForwardProxy(local_site) as proxy:
        for name in ("HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, proxy.base_url)
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        links = archive(
            store,
            ["http://redirector.example.test/hop", "http://news.example.test/public"],
            config(allow_private=False),
        )
    assert links["http://redirector.example.test/hop"].status == "blocked"
    assert links["http://news.example.test/public"].status == "ok"
    assert local_site.hits("/secret") == 0


def test_every_attempt_is_recorded_as_a_check(store: Store, local_site: LocalSite) -> None:
    local_site.route("/gone", b"", status=404)
    archive(store, [local_site.url("/gone")], config())
    with store.session() as session:
        check = session.query(Check).one()
        assert (check.status, check.http_status) == ("dead", 404)
        link = session.query(Link).one()
        assert link.status == LinkStatus.DEAD and link.dead_since is not None
