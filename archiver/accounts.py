"""The sign-in records (`Store.accounts`): the owner's password hash, API tokens by their
SHA-256, sign-in failures per client, and secrets made once.

Only storage: what a hash is made with, what a token looks like and how many failures are
too many is decided by the caller (app/services/accounts.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from archiver._engine import Database
from archiver.models import ApiToken, AppSecret, OwnerPassword, SignInFailure

__all__ = ["Accounts", "StoredPassword", "StoredToken", "TokenNameTaken"]

# The owner's row: there is one owner.
_OWNER_ID = 1


class TokenNameTaken(ValueError):
    """A token with this name exists; names are how tokens are listed and revoked."""


@dataclass(frozen=True, slots=True)
class StoredPassword:
    password_hash: str
    session_stamp: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class StoredToken:
    name: str
    created_at: datetime
    last_used_at: datetime | None


class Accounts(Database):
    """Reads and writes the sign-in tables, each call one short transaction."""

    # -- the owner's password --------------------------------------------------------------

    def password(self) -> StoredPassword | None:
        with self.session() as session:
            row = session.get(OwnerPassword, _OWNER_ID)
            if row is None:
                return None
            return StoredPassword(row.password_hash, row.session_stamp, row.changed_at)

    def session_stamp(self) -> str | None:
        with self.session() as session:
            stamp: str | None = session.scalar(
                select(OwnerPassword.session_stamp).where(OwnerPassword.id == _OWNER_ID)
            )
            return stamp

    def set_password(self, password_hash: str, session_stamp: str, now: datetime) -> None:
        with self.session() as session:
            row = session.get(OwnerPassword, _OWNER_ID)
            if row is None:
                row = OwnerPassword(id=_OWNER_ID)
                session.add(row)
            row.password_hash = password_hash
            row.session_stamp = session_stamp
            row.changed_at = now

    # -- API tokens ------------------------------------------------------------------------

    def add_token(self, name: str, token_sha256: str, now: datetime) -> None:
        """Raises TokenNameTaken when a token has this name."""
        try:
            with self.session() as session:
                session.add(ApiToken(name=name, token_sha256=token_sha256, created_at=now))
        except IntegrityError:
            # The name (the hash of a fresh random token cannot repeat); the unique
            # constraint decides, so two commands racing on one name cannot both win.
            raise TokenNameTaken(name) from None

    def tokens(self) -> list[StoredToken]:
        with self.session() as session:
            rows = session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id))
            return [StoredToken(row.name, row.created_at, row.last_used_at) for row in rows]

    def remove_token(self, name: str) -> bool:
        """True when a token of this name was there."""
        with self.session() as session:
            removed = session.execute(delete(ApiToken).where(ApiToken.name == name))
            return bool(getattr(removed, "rowcount", 0))

    def token_named_by_hash(self, token_sha256: str) -> tuple[int, str, datetime | None] | None:
        """(id, name, last used) of the token with this SHA-256, if there is one."""
        with self.session() as session:
            row = session.execute(
                select(ApiToken.id, ApiToken.name, ApiToken.last_used_at).where(
                    ApiToken.token_sha256 == token_sha256
                )
            ).first()
            return (row.id, row.name, row.last_used_at) if row is not None else None

    def mark_token_used(self, token_id: int, now: datetime) -> None:
        with self.session() as session:
            used = update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            session.execute(used)

    def has_credentials(self) -> bool:
        """Whether a password or any token is set up."""
        with self.session() as session:
            password = session.scalar(select(func.count()).select_from(OwnerPassword))
            tokens = session.scalar(select(func.count()).select_from(ApiToken))
            return bool(password or tokens)

    # -- sign-in failures ------------------------------------------------------------------

    def add_signin_failure(self, client: str, now: datetime, keep: timedelta) -> int:
        """Records one failure of `client` now, forgets everyone's older than `keep`, and
        returns the row's id (to take it back when the attempt succeeds or is refused)."""
        with self.session() as session:
            session.execute(delete(SignInFailure).where(SignInFailure.failed_at < now - keep))
            row = SignInFailure(client=client, failed_at=now)
            session.add(row)
            session.flush()
            return row.id

    def signin_failures_after(self, client: str, after: datetime) -> list[datetime]:
        """When `client` failed after `after` (not at it), oldest first."""
        with self.session() as session:
            query = (
                select(SignInFailure.failed_at)
                .where(SignInFailure.client == client, SignInFailure.failed_at > after)
                .order_by(SignInFailure.failed_at, SignInFailure.id)
            )
            return list(session.scalars(query))

    def remove_signin_failure(self, failure_id: int) -> None:
        with self.session() as session:
            session.execute(delete(SignInFailure).where(SignInFailure.id == failure_id))

    def clear_signin_failures(self, client: str) -> None:
        with self.session() as session:
            session.execute(delete(SignInFailure).where(SignInFailure.client == client))

    # -- secrets ---------------------------------------------------------------------------

    def secret(self, name: str, make: Callable[[], str], now: datetime) -> str:
        """The secret called `name`, made with `make` and stored the first time. Processes
        starting at once may each make one: the first stored wins and all read it back."""
        with self.session() as session:
            value = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
        if value is not None:
            return value
        try:
            with self.session() as session:
                session.add(AppSecret(name=name, value=make(), created_at=now))
        except IntegrityError:
            pass  # another process stored it first
        with self.session() as session:
            return session.scalars(select(AppSecret.value).where(AppSecret.name == name)).one()
