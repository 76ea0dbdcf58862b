"""A page that changes between runs, for refresh tests: edit it, break it, bring it back.

page = EditablePage("Title", "first text")          # ETag and 304s by default
local_site.route("/p", handler=page)
page.edit("second text")                             # new body, new ETag
page.fail(503)  /  page.fail(404)  /  page.restore()
"""

from __future__ import annotations

import hashlib
from email.utils import formatdate

from tests.support import pages
from tests.support.site import Exchange


class EditablePage:
    def __init__(
        self,
        title: str,
        *paragraphs: str,
        etag: bool = True,
        last_modified: bool = False,
        honour_conditionals: bool = True,
    ) -> None:
        self.title = title
        self.etag = etag
        self.last_modified = last_modified
        self.honour_conditionals = honour_conditionals
        self.noise = ""  # markup the extractor drops, to change the bytes but not the text
        self.failing: int | None = None
        self.not_modified = 0  # 304s sent
        self._version = 0
        self.edit(*paragraphs)

    def edit(self, *paragraphs: str) -> None:
        self.paragraphs = paragraphs
        self._version += 1

    @property
    def body(self) -> bytes:
        html = pages.article(self.title, *self.paragraphs)
        return html.replace("</body>", f"<!-- {self.noise} --></body>").encode()

    @property
    def current_etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'

    @property
    def current_date(self) -> str:
        return formatdate(1_700_000_000 + self._version * 86_400, usegmt=True)

    def fail(self, status: int) -> None:
        self.failing = status

    def restore(self) -> None:
        self.failing = None

    def __call__(self, ex: Exchange) -> None:
        if self.failing is not None:
            ex.respond(self.failing, b"unavailable", content_type="text/plain")
            return
        headers: dict[str, str] = {}
        if self.etag:
            headers["ETag"] = self.current_etag
        if self.last_modified:
            headers["Last-Modified"] = self.current_date
        sent = ex.request.headers
        if self.honour_conditionals and (
            (self.etag and sent.get("if-none-match") == self.current_etag)
            or (self.last_modified and sent.get("if-modified-since") == self.current_date)
        ):
            self.not_modified += 1
            ex.respond(304, b"", headers=headers, content_type=None)
            return
        ex.respond(200, self.body, headers=headers)
