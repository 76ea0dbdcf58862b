"""Sign-in, once for the command line and the web: the owner's password (argon2id), API
tokens (random, shown once, kept as SHA-256), and the limit on failed sign-ins per client.

The clock is a parameter, so the limit's window can be tested without waiting.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from archiver import Store, StoredToken, TokenNameTaken
from archiver.models import utcnow

__all__ = [
    "ENV_TOKEN_NAME",
    "AccountService",
    "InvalidTokenName",
    "Refused",
    "SignInOutcome",
    "TokenNameTaken",
    "UnknownToken",
    "WeakPassword",
    "client_key",
]

MIN_PASSWORD_LENGTH = 8
# argon2 pre-hashes its input, so length costs little time; this only bounds what a form
# can make the server hold and hash.
MAX_PASSWORD_LENGTH = 1024
SIGNIN_FAILURE_LIMIT = 5
SIGNIN_WINDOW = timedelta(minutes=1)
# Writing last_used_at on every request would make each API read a database write;
# to the minute is what `token list` needs.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
# So that secret scanners, and people, can tell a linkvault token.
TOKEN_PREFIX = "lv_"  # noqa: S105 - a prefix, not a secret
ENV_TOKEN_NAME = "LINKVAULT_API_TOKEN"  # noqa: S105 - the name a caller gets
SESSION_KEY_ROW = "session"  # its row in app_secrets

_TOKEN_NAME = re.compile(r"[\w.@-]{1,64}")

# argon2-cffi's defaults: argon2id with RFC 9106's low-memory parameters.
_HASHER = PasswordHasher()


class WeakPassword(ValueError):
    """The password is refused; the message says why."""


class UnknownToken(LookupError):
    """No token has this name."""


class InvalidTokenName(ValueError):
    """A token name is 1 to 64 letters, digits, '.', '_', '-' or '@'."""


@dataclass(frozen=True, slots=True)
class Refused:
    """Too many failures from this client: try again in `retry_after` seconds."""

    retry_after: int


@dataclass(frozen=True, slots=True)
class SignInOutcome:
    """The stamp to keep in the session when signed in; None for a wrong password."""

    session_stamp: str | None


def client_key(host: str | None) -> str:
    """Whom the sign-in limit counts: the IPv4 address, or the /64 of an IPv6 one (one
    machine usually holds a whole /64, and could otherwise rotate through it)."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@functools.cache
def _dummy_hash() -> str:
    # Verified against when no password is set, so the time taken does not say whether one is.
    return _HASHER.hash(secrets.token_urlsafe(16))


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountService:
    """The one owner's credentials in `store`. `api_token` is LINKVAULT_API_TOKEN, accepted
    as a bearer token besides the stored ones (kept for compatibility)."""

    def __init__(
        self,
        store: Store,
        *,
        api_token: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        hasher: PasswordHasher = _HASHER,
    ) -> None:
        self._records = store.accounts
        self._api_token = api_token or None
        self._clock = clock
        self._hasher = hasher

    # -- the password ----------------------------------------------------------------------

    def set_password(self, password: str) -> None:
        """Stores the new password's hash; every session signed in before ends."""
        if not password:
            raise WeakPassword("no password given")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPassword(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        if len(password) > MAX_PASSWORD_LENGTH:
            raise WeakPassword(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
        if password != password.strip():
            # Almost always a pasted newline or space, which the prompt would then need too.
            raise WeakPassword("the password must not start or end with spaces")
        self._records.set_password(
            self._hasher.hash(password), secrets.token_urlsafe(24), self._clock()
        )

    def has_password(self) -> bool:
        return self._records.session_stamp() is not None

    def check_password(self, password: str) -> str | None:
        """The session stamp when `password` is the owner's, else None. argon2 compares in
        constant time; with no password set a dummy hash is verified all the same."""
        stored = self._records.password()
        candidate = password[:MAX_PASSWORD_LENGTH]
        try:
            self._hasher.verify(stored.password_hash if stored else _dummy_hash(), candidate)
        except (VerificationError, InvalidHashError):
            return None
        return stored.session_stamp if stored else None

    def session_stamp(self) -> str | None:
        """What a signed-in session must carry: changes with the password."""
        return self._records.session_stamp()

    def session_is_current(self, stamp: object) -> bool:
        current = self.session_stamp()
        return (
            isinstance(stamp, str)
            and current is not None
            and hmac.compare_digest(stamp.encode(), current.encode())
        )

    # -- signing in, with a limit per client -----------------------------------------------

    def sign_in(self, client: str, password: str) -> SignInOutcome | Refused:
        """Checks `password` for `client` (see client_key), refusing after
        SIGNIN_FAILURE_LIMIT failures within SIGNIN_WINDOW.

        The attempt is recorded as a failure before the password is checked and taken back
        when it succeeds: guesses sent all at once, from several web processes, then count
        as surely as guesses sent one after another."""
        now = self._clock()
        failure = self._records.add_signin_failure(client, now, keep=SIGNIN_WINDOW)
        failures = self._records.signin_failures_after(client, now - SIGNIN_WINDOW)
        if len(failures) > SIGNIN_FAILURE_LIMIT:
            self._records.remove_signin_failure(failure)  # refused: not a guess
            # Earlier failures than this one's own: when enough of them have aged out.
            earlier = failures[: len(failures) - 1]
            frees_at = earlier[len(earlier) - SIGNIN_FAILURE_LIMIT] + SIGNIN_WINDOW
            return Refused(max(1, math.ceil((frees_at - now).total_seconds())))
        stamp = self.check_password(password)
        if stamp is not None:
            self._records.clear_signin_failures(client)
        return SignInOutcome(stamp)

    # -- API tokens ------------------------------------------------------------------------

    def create_token(self, name: str) -> str:
        """A new token called `name`; the token itself is returned here and never again.
        Raises InvalidTokenName, TokenNameTaken."""
        if not _TOKEN_NAME.fullmatch(name):
            raise InvalidTokenName(
                f"{name[:80]!r} is not a token name: use 1 to 64 letters, digits, "
                "'.', '_', '-' or '@'"
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._records.add_token(name, _sha256(token), self._clock())
        return token

    def tokens(self) -> list[StoredToken]:
        return self._records.tokens()

    def revoke_token(self, name: str) -> None:
        """Raises UnknownToken when no token has this name."""
        if not self._records.remove_token(name):
            raise UnknownToken(name)

    def token_name(self, token: str) -> str | None:
        """The name of the token `token` is (ENV_TOKEN_NAME for LINKVAULT_API_TOKEN), or
        None. Stored tokens are found by their SHA-256: timing can only tell about the hash."""
        if not token:
            return None
        if self._api_token is not None and hmac.compare_digest(
            token.encode(), self._api_token.encode()
        ):
            return ENV_TOKEN_NAME
        found = self._records.token_named_by_hash(_sha256(token))
        if found is None:
            return None
        token_id, name, last_used = found
        now = self._clock()
        if last_used is None or now - last_used >= TOKEN_USE_RESOLUTION:
            self._records.mark_token_used(token_id, now)
        return name

    def anything_set_up(self) -> bool:
        """Whether any way to sign in or authenticate exists (a password, a token)."""
        return self._api_token is not None or self._records.has_credentials()

    # -- the session-signing key -----------------------------------------------------------

    def session_secret(self, configured: str | None) -> str:
        """LINKVAULT_SECRET_KEY when set; otherwise one made once and stored, so every web
        process and every restart signs and reads the same cookies."""
        if configured:
            return configured
        return self._records.secret(
            SESSION_KEY_ROW, lambda: secrets.token_urlsafe(48), self._clock()
        )
