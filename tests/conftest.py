"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.site import LocalSite


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    """A real HTTP server on 127.0.0.1 with programmable routes (tests/support/site.py)."""
    with LocalSite() as site:
        yield site
    assert not site.errors, "a route handler raised:\n" + "\n".join(site.errors)
