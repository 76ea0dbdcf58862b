"""Where a followed reading list (`linkvault follow URL`) is read from, and what its own
addresses are.

A GitHub repository's page is not its list: its README is, read as markdown from
raw.githubusercontent.com, with relative links resolving against the README's page on
github.com, as GitHub shows it. Any other URL is read as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from archiver._linklist import ListBase
from archiver.urls import is_http_url, normalize_url

__all__ = ["ListAddress", "list_address"]

_GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})
RAW_GITHUB = "https://raw.githubusercontent.com"
# /OWNER/REPO[.git][/], /OWNER/REPO/tree/BRANCH[/], /OWNER/REPO/blob/BRANCH/PATH.md
_REPOSITORY = re.compile(r"/(?P<owner>[\w.\-]+)/(?P<repo>[\w.\-]+?)(?:\.git)?/?")
_TREE = re.compile(r"/(?P<owner>[\w.\-]+)/(?P<repo>[\w.\-]+)/tree/(?P<branch>.+?)/?")
_BLOB = re.compile(r"/(?P<owner>[\w.\-]+)/(?P<repo>[\w.\-]+)/blob/(?P<path>[^?#]+)")


@dataclass(frozen=True, slots=True)
class ListAddress:
    """A followed list's addresses: as the owner gave it, where it is read, and what its
    relative links resolve against."""

    url: str  # as given (stripped)
    fetch_url: str
    base_url: str
    markdown: bool  # known to be markdown (a README), whatever its server says
    # Further spellings of the list itself (a repository's page, its README's page).
    aliases: tuple[str, ...] = ()

    def base(self, final_url: str | None = None) -> ListBase:
        """The base for its links; a redirect moves it, except for a README (whose base
        is its page on github.com, not the raw file)."""
        base = self.base_url if self.markdown or final_url is None else final_url
        urls = {self.url, self.fetch_url, self.base_url, base, *self.aliases}
        itself = set()
        for url in urls:
            try:
                itself.add(normalize_url(url))
            except ValueError:
                continue
        return ListBase(base, frozenset(itself))


def list_address(url: str) -> ListAddress:
    """The addresses of the list at `url`; ValueError when it is no http(s) URL."""
    given = url.strip()
    if not is_http_url(given):
        raise ValueError(f"{given!r} is not an http(s) URL")
    parts = urlsplit(given)
    if not parts.hostname:
        raise ValueError(f"{given!r} has no host")
    if parts.hostname.lower() in _GITHUB_HOSTS:
        github = _github(given, parts.path)
        if github is not None:
            return github
    # A fragment is no part of what is fetched.
    plain = urlunsplit(parts._replace(fragment=""))
    return ListAddress(given, plain, plain, markdown=False)


def _github(given: str, path: str) -> ListAddress | None:
    page = "https://github.com"
    if (match := _BLOB.fullmatch(path)) is not None:
        owner, repo, file = match["owner"], match["repo"], match["path"]
        if not file.lower().endswith((".md", ".markdown")):
            return None
        fetch = f"{RAW_GITHUB}/{owner}/{repo}/{file}"
        return ListAddress(given, fetch, f"{page}/{owner}/{repo}/blob/{file}", markdown=True)
    if (match := _TREE.fullmatch(path)) is not None:
        owner, repo, ref = match["owner"], match["repo"], match["branch"]
    elif (match := _REPOSITORY.fullmatch(path)) is not None:
        owner, repo, ref = match["owner"], match["repo"], "HEAD"
    else:
        return None
    repository = f"{page}/{owner}/{repo}"
    return ListAddress(
        given,
        f"{RAW_GITHUB}/{owner}/{repo}/{ref}/README.md",
        f"{repository}/blob/{ref}/",
        markdown=True,
        aliases=(repository, f"{repository}/", f"{repository}/blob/{ref}/README.md"),
    )
