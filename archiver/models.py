"""SQLAlchemy models: links as listed, and snapshots of what was fetched for them."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes; SQLite drops tzinfo, so it is put back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class LinkStatus(StrEnum):
    PENDING = "pending"
    OK = "ok"
    FAILED = "failed"
    DEAD = "dead"
    BLOCKED = "blocked"
    UNSUPPORTED = "unsupported"


# Check statuses besides the link statuses. An inconclusive check is kept in the history but
# counts toward nothing: taken while the network looked down (archiver/outage.py), or a
# further link of a host already counted once in the same run.
CHECK_INCONCLUSIVE = "inconclusive"
# A death signal (404, 410, host not found) on a link with a copy, not confirmed yet.
CHECK_UNREACHABLE = "unreachable"


class Base(DeclarativeBase):
    pass


def host_of(url: str) -> str:
    """The host a fetch of `url` connects to, lowercase, without port: the unit of
    politeness. "" when there is none (a blocked `mailto:`)."""
    try:
        return (urlsplit(url).hostname or "")[:255]
    except ValueError:
        return ""


def _default_host(context: Any) -> str:
    return host_of(context.get_current_parameters().get("url") or "")


class Link(Base):
    """One entry of a reading list, stored once per normalised URL."""

    __tablename__ = "links"
    # The work queue's claim walks queued links oldest first (archiver/queue.py).
    __table_args__ = (Index("ix_links_queue", "queued_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    normalized_url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    # title, section, tags and note are the user's: set by the list that named the link or by
    # an edit, never by a fetch (the page's own title is the snapshot's), so they survive
    # refresh. A title of None shows the page's.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    # Shelved: filed away by its owner (archived or marked read in the tool it came from, or
    # set by an edit). Not linkvault's "archived copy": a shelved link is fetched like any.
    shelved: Mapped[bool] = mapped_column(default=False, server_default=false())
    source: Mapped[str | None] = mapped_column(Text)
    source_line: Mapped[int | None] = mapped_column(Integer)
    # Position in the first list that named it, so an export can keep the list's order.
    position: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=LinkStatus.PENDING, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dead_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A link with a copy that answered 404/410 or "host not found" once: it stays as it was
    # until a second check at least the failure spacing later confirms it (archiver/rot.py);
    # any success clears both.
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unreachable_reason: Mapped[str | None] = mapped_column(Text)
    # The snapshot whose text is searchable: the last good copy, kept when the page dies.
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("snapshots.id", use_alter=True, ondelete="SET NULL")
    )
    # Set whenever something the index shows changes; cleared only after the index commit,
    # so a crash between the database commit and the index commit is repaired by a re-run.
    needs_index: Mapped[bool] = mapped_column(default=False, index=True)

    # The shared work queue (archiver/queue.py): what a worker should do with the link
    # ("archive" or "refresh", None when nothing), since when, and who holds it until when.
    host: Mapped[str | None] = mapped_column(String(255), default=_default_host)
    queued: Mapped[str | None] = mapped_column(String(16))
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Claims since it was queued that did not end in a stored result (a worker died, or an
    # unexpected error); at queue.MAX_ATTEMPTS the queue gives up on the link.
    queue_attempts: Mapped[int] = mapped_column(default=0, server_default="0")

    snapshot: Mapped[Snapshot | None] = relationship(foreign_keys=[snapshot_id])


class Snapshot(Base):
    """What one successful fetch returned: metadata, extracted text and the raw body."""

    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_link_fetched", "link_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(32))
    sitename: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    # The structured copy the reader shows (archiver/document.py, as JSON); None where the
    # page gave none or the snapshot predates it (`linkvault reextract` makes it).
    document: Mapped[str | None] = mapped_column(Text)
    # archiver.extract.EXTRACTOR_VERSION that made text and document; None: before versions.
    extracted_with: Mapped[int | None] = mapped_column(Integer)
    # zlib-compressed raw body, so text can be re-extracted without refetching.
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The tool an imported copy came from ("wallabag", "omnivore": its export carried the
    # article); None for a copy linkvault fetched itself.
    imported_from: Mapped[str | None] = mapped_column(String(32))


class Check(Base):
    """Every fetch attempt of a link, successful or not: the link's history."""

    __tablename__ = "checks"
    __table_args__ = (Index("ix_checks_link_checked", "link_id", "checked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", ondelete="SET NULL"))
    changed: Mapped[bool] = mapped_column(default=False)


class Run(Base):
    """One `archive` or `refresh` invocation, for `linkvault status`."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class Image(Base):
    """One archived figure's bytes, stored once however many pages and snapshots show it:
    the key is the SHA-256 of the bytes (archiver/images.py)."""

    __tablename__ = "images"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    # As sniffed from the bytes ("image/png"), never as the server said.
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    # Where the bytes were first fetched from: the WARC export's target URI.
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class SnapshotImage(Base):
    """Which snapshot shows which image, from which figure URL: deleting snapshots can tell
    which images nothing uses any more, and a refresh finds by URL the images it has."""

    __tablename__ = "snapshot_images"
    __table_args__ = (
        Index("ix_snapshot_images_src_hash", "src_hash"),
        Index("ix_snapshot_images_sha256", "sha256"),
    )

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    # SHA-256 of the figure's absolute URL: URLs can be longer than an index entry may be.
    src_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("images.sha256"))


class OwnerPassword(Base):
    """The one owner's password (issue 11: sign-in): a single row, id 1, holding only an
    argon2id hash. The stamp is random and new with every password; a session carries it, so
    changing the password signs every existing session out."""

    __tablename__ = "owner_password"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    session_stamp: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    """An API token for `Authorization: Bearer`: only the SHA-256 of the token is kept (the
    token is random, so a fast hash is enough and a lookup by it is an index probe)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInFailure(Base):
    """A sign-in attempt of one client that did not succeed (yet): kept in the database so
    the limit holds across every web process; rows older than the window are deleted."""

    __tablename__ = "signin_failures"
    __table_args__ = (Index("ix_signin_failures_client_at", "client", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AppSecret(Base):
    """Secrets linkvault makes for itself once (the session-signing key when
    LINKVAULT_SECRET_KEY is unset), so restarts and every web process agree on them."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowedList(Base):
    """A reading list on the web that `linkvault follow` subscribed to (archiver/lists.py):
    read again by every `linkvault refresh`, with conditional requests from its validators."""

    __tablename__ = "followed_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # As the owner gave it ("https://github.com/owner/repo"), what is shown.
    url: Mapped[str] = mapped_column(Text)
    # What is read (a GitHub repository's README on raw.githubusercontent.com): one row each.
    fetch_url: Mapped[str] = mapped_column(Text, unique=True)
    # Relative links in the list resolve against this (a README's: its page on github.com).
    base_url: Mapped[str] = mapped_column(Text)
    section_prefix: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the last body read: a server without validators that sends the same list
    # again changes nothing either.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    followed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "ok", "unchanged" (a 304 or the same body) or "failed" with the error; None: never read.
    status: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)


class ListedLink(Base):
    """Which links a followed list lists. A link dropped from the list keeps its row with
    `still_listed` false ("No longer listed in …"); one that comes back is listed again."""

    __tablename__ = "list_links"
    __table_args__ = (Index("ix_list_links_link", "link_id"),)

    list_id: Mapped[int] = mapped_column(
        ForeignKey("followed_lists.id", ondelete="CASCADE"), primary_key=True
    )
    link_id: Mapped[int] = mapped_column(
        ForeignKey("links.id", ondelete="CASCADE"), primary_key=True
    )
    first_listed: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_listed: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    still_listed: Mapped[bool] = mapped_column(default=True)
