"""The notice a removal leaves for the start page: "Removed “Title”."

The removed link's title can only travel in the redirect's address: the link is gone, and
writing the title into the session would sign the session cookie again, and so restart the
lifetime that began at sign-in. The address carries it signed with the app's secret (the
session's, under another salt), so the start page repeats only what linkvault itself wrote:
a crafted `/?removed=…` link cannot make it announce anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request

from app.http.auth import account_service

REMOVED_PARAM = "removed"
_SALT = "linkvault.removed-notice"
# A title is at most 1,000 characters; its signed form is a little longer.
_MAX_TOKEN = 4000


@dataclass(frozen=True, slots=True)
class RemovedNotice:
    title: str
    index_behind: bool  # the search index did not follow yet (another writer held it)


def _signer(request: Request) -> URLSafeSerializer:
    secret = account_service(request.app).session_secret(request.app.state.settings.secret_key)
    return URLSafeSerializer(secret, salt=_SALT)


def removed_location(request: Request, title: str, *, index_behind: bool) -> str:
    """The start page's address saying that the link titled `title` was removed."""
    token = _signer(request).dumps([title, index_behind])
    return "/?" + urlencode({REMOVED_PARAM: token})


def removed_notice(request: Request) -> RemovedNotice | None:
    """What the address's `removed` says, when linkvault signed it; None otherwise."""
    token = request.query_params.get(REMOVED_PARAM)
    if not token or len(token) > _MAX_TOKEN:
        return None
    try:
        title, index_behind = _signer(request).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(title, str) or not isinstance(index_behind, bool):
        return None
    return RemovedNotice(title, index_behind)
