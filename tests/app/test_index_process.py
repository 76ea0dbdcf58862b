"""A long run writes the index from a process of its own (app/services/index_process.py):
what it indexes is what the thread indexed, on both backends, and the run's closing catch-up
finds nothing left to do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import app.services.vault as vault_module
from app.services import Vault, check
from app.services.archiving import tasks_to_refresh
from app.services.index_process import IndexProcess
from app.settings import Settings
from archiver.records import LinkSpec
from archiver.refresh import RefreshSelection
from archiver.urls import normalize_url
from index import SearchQuery
from tests.support import pages
from tests.support.site import LocalSite

PAGES = 12


@pytest.fixture(params=["whoosh", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    database_url = None
    if request.param == "postgres":
        database_url = request.getfixturevalue("postgres_url")
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        search_backend=request.param,
        allow_private=True,
        extract_workers=1,
        index_process_min_links=1,  # every run here, however short
        index_commit_interval=0.2,
    )


@pytest.fixture
def vault(settings: Settings) -> Iterator[Vault]:
    vault = Vault(settings)
    yield vault
    vault.close()


def _serve(site: LocalSite, revision: int) -> list[LinkSpec]:
    specs = []
    for number in range(PAGES):
        words = f"page number{number} revision{revision}"
        site.route(f"/page-{number}", pages.article(f"Page {number}", pages.filler(words)).encode())
        url = site.url(f"/page-{number}")
        specs.append(LinkSpec(url, normalize_url(url), None, None, "<test>", None))
    return specs


def _found(vault: Vault, words: str) -> int:
    return vault.index.search(SearchQuery(words)).total


def test_a_run_indexed_from_its_own_process_leaves_nothing_to_catch_up(
    vault: Vault, local_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    caught_up: list[int] = []
    sync = vault_module.sync_index

    def counted_sync(*args: object) -> int:
        caught_up.append(sync(*args))  # type: ignore[arg-type]
        return caught_up[-1]

    monkeypatch.setattr(vault_module, "sync_index", counted_sync)
    feeders: list[object] = []
    choose = Vault._feeder
    monkeypatch.setattr(
        Vault, "_feeder", lambda self, links: feeders.append(choose(self, links)) or feeders[-1]
    )

    counts = vault.import_links(_serve(local_site, revision=1))
    summary = vault.archive(vault.store.links.tasks_for_archive(counts.link_ids))
    assert summary.counts["ok"] == PAGES
    assert [type(feeder) for feeder in feeders] == [IndexProcess]
    # The child indexed every page: the catch-up after the run wrote nothing.
    assert caught_up[-1] == 0
    assert feeders[0].indexed == PAGES  # type: ignore[attr-defined]
    assert _found(vault, "revision1") == PAGES
    report = check(vault)
    assert report.healthy and report.pending == [], report.to_json()

    # A refresh that finds every page changed: the index follows, from the process again.
    _serve(local_site, revision=2)
    summary = vault.refresh(tasks_to_refresh(vault, RefreshSelection(everything=True)))
    assert summary.changed_ids and caught_up[-1] == 0
    assert _found(vault, "revision2") == PAGES
    assert _found(vault, "revision1") == 0
    assert check(vault).healthy


def test_short_runs_index_in_a_thread(vault: Vault, local_site: LocalSite) -> None:
    vault.settings.index_process_min_links = PAGES + 1
    assert not isinstance(vault._feeder(PAGES), IndexProcess)
    assert isinstance(vault._feeder(PAGES + 1), IndexProcess)
    vault.settings.index_process_min_links = 0  # never
    assert not isinstance(vault._feeder(10_000), IndexProcess)
