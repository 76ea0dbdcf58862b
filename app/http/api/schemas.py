"""Response and request bodies of the JSON API; every field is described for /docs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from archiver.curation import (
    MAX_NOTE_LENGTH,
    MAX_SECTION_LENGTH,
    MAX_TAGS,
    MAX_TITLE_LENGTH,
    clean_section,
    clean_title,
    clean_user_note,
)
from archiver.tagging import MAX_TAG_LENGTH, clean_tags


class ErrorResponse(BaseModel):
    detail: str = Field(description="What went wrong, written for the person who sent it.")


class SearchResult(BaseModel):
    id: int = Field(description="Link id; `GET /api/links/{id}` has the full text.")
    url: str = Field(description="The link as listed.")
    title: str = Field(description="Plain text title (the list's, else the page's, else the URL).")
    snippet: str = Field(
        description="HTML: up to three fragments of the archived text, HTML-escaped, with the "
        "matched terms in `<mark>`. Safe to insert as markup; nothing else is."
    )
    section: str | None = Field(description="Heading or bookmark folder the link was listed under.")
    domain: str = Field(description="Host of the archived page, without `www.`.")
    status: str = Field(description="Link status: ok, failed, dead, blocked, unsupported.")
    score: float = Field(description="BM25F relevance score (higher is better).")
    archived_at: datetime | None = Field(description="When this copy was archived (UTC).")
    tags: list[str] = Field(description="The link's tags, as written (plain text).")
    note: str | None = Field(description="The link's note, plain text; null when it has none.")


class SearchFacets(BaseModel):
    section: dict[str, int] = Field(description="Hits per section over the whole result set.")
    domain: dict[str, int] = Field(description="Hits per domain over the whole result set.")
    tag: dict[str, int] = Field(
        description="Hits per tag over the whole result set, by tag in lower case with "
        "single spaces (how tags are matched)."
    )


class SearchResponse(BaseModel):
    query: str = Field(description="The query as received.")
    total: int = Field(description="Exact number of matching documents.")
    page: int = Field(description="Page number, from 1.")
    per_page: int = Field(description="Results per page.")
    results: list[SearchResult] = Field(description="This page of hits, best first.")
    facets: SearchFacets = Field(description="Counts by section, domain and tag, for narrowing.")
    suggestion: str | None = Field(
        description="A corrected query when this one finds little, else null."
    )
    fallback_or: bool = Field(
        description="True when no document had every word and any-word matching was used."
    )
    elapsed_ms: float = Field(description="Time the index spent on this search.")
    timed_out: bool = Field(
        description="True when the time limit cut the search short (partial results)."
    )


_TAGS = "The owner's tags, in the order given (case-insensitively distinct)."
_NOTE = "The owner's note on the link (plain text, may span lines); null when none."
_SHELVED = (
    "Shelved: filed away by its owner (archived or marked read in the tool it was imported "
    "from, or set by an edit). Not about linkvault's archived copy: a shelved link is "
    "fetched and searched like any other."
)


class LinkSummary(BaseModel):
    id: int = Field(description="Link id.")
    url: str = Field(description="The link as listed.")
    title: str | None = Field(
        description="The owner's title for the link (from the list, or an edit); null shows "
        "the page's."
    )
    section: str | None = Field(description="Heading or bookmark folder it was listed under.")
    status: str = Field(description="pending, ok, failed, dead, blocked or unsupported.")
    archived_at: datetime | None = Field(description="When its current copy was archived (UTC).")
    tags: list[str] = Field(default_factory=list, description=_TAGS)
    note: str | None = Field(default=None, description=_NOTE)
    shelved: bool = Field(default=False, description=_SHELVED)


class LinkList(BaseModel):
    total: int = Field(description="Links matching the filter.")
    page: int = Field(description="Page number, from 1.")
    per_page: int = Field(description="Links per page.")
    items: list[LinkSummary] = Field(description="This page of links, in list order.")


class LinkDetail(BaseModel):
    id: int = Field(description="Link id.")
    url: str = Field(description="The link as listed.")
    final_url: str | None = Field(description="Where the archived copy was found (redirects).")
    title: str = Field(description="Plain text title (the list's, else the page's, else the URL).")
    section: str | None = Field(description="Heading or bookmark folder it was listed under.")
    status: str = Field(description="pending, ok, failed, dead, blocked or unsupported.")
    http_status: int | None = Field(description="HTTP status of the last check.")
    error: str | None = Field(description="Why the link is not ok; null when it is.")
    content_type: str | None = Field(description="MIME type of the archived copy.")
    author: str | None = Field(description="Author named by the page.")
    published: str | None = Field(description="Publication date named by the page (ISO).")
    language: str | None = Field(description="Language of the page.")
    sitename: str | None = Field(description="Site name named by the page.")
    archived_at: datetime | None = Field(description="When the current copy was archived (UTC).")
    checked_at: datetime | None = Field(description="When the link was last fetched (UTC).")
    dead_since: datetime | None = Field(description="When the link was first found dead (UTC).")
    unreachable_since: datetime | None = Field(
        description='When a 404, 410 or "host not found" was first seen on this link with '
        "an archived copy, not confirmed yet (UTC); null otherwise. A second such check at "
        "least LINKVAULT_FAILURE_SPACING later makes the link dead; a success clears it."
    )
    unreachable_reason: str | None = Field(
        description='What that check saw ("HTTP 404 Not Found"); null with unreachable_since.'
    )
    tags: list[str] = Field(default_factory=list, description=_TAGS)
    note: str | None = Field(default=None, description=_NOTE)
    shelved: bool = Field(default=False, description=_SHELVED)
    text: str | None = Field(description="The archived text in full; null when never archived.")
    html: str | None = Field(
        description="The structured copy as sanitized HTML (a fragment, images at "
        "/images/{sha256}); null when the copy has no structure."
    )
    markdown: str | None = Field(
        description="The structured copy as Markdown (fenced code, GFM tables); null when "
        "the copy has no structure."
    )
    imported: bool = Field(
        default=False,
        description="True when the archived copy was imported from another tool's export "
        "(wallabag, Omnivore) rather than fetched by linkvault.",
    )
    imported_from: str | None = Field(
        default=None, description='The tool it was imported from ("wallabag", "omnivore").'
    )


class DeadLink(BaseModel):
    id: int = Field(description="Link id.")
    url: str = Field(description="The link as listed.")
    error: str | None = Field(description="Why it is considered dead.")
    since: datetime | None = Field(description="When it was first found dead (UTC).")


class UnreachableLink(BaseModel):
    id: int = Field(description="Link id.")
    url: str = Field(description="The link as listed.")
    reason: str | None = Field(description="What the unconfirmed check saw.")
    since: datetime | None = Field(description="When it was first seen (UTC).")


class LastRun(BaseModel):
    kind: str = Field(description="archive or refresh.")
    started_at: datetime | None = Field(description="Start (UTC).")
    finished_at: datetime | None = Field(description="End (UTC); null when it did not finish.")
    counts: dict[str, int] = Field(description="Links per resulting status.")


class QueueState(BaseModel):
    queued: int = Field(description="Links waiting for `linkvault worker` or being worked on.")
    leased: int = Field(description="Of those, held by a worker right now.")
    expired: int = Field(
        description="Held by a lease that ran out (its worker died or stalled): "
        "the next worker to claim takes them."
    )


class Stats(BaseModel):
    links: int = Field(description="Links stored, every status.")
    counts: dict[str, int] = Field(description="Links per status.")
    documents_indexed: int = Field(description="Documents in the search index.")
    index_size_bytes: int = Field(description="Disk space of the index folder.")
    dead: list[DeadLink] = Field(description="Dead links (up to 100), newest first.")
    unreachable: list[UnreachableLink] = Field(
        default_factory=list,
        description='Links not dead (counted under their status) whose 404, 410 or "host '
        'not found" awaits confirmation (up to 100), newest first.',
    )
    last_run: LastRun | None = Field(description="The latest archive or refresh run.")
    queue: QueueState = Field(description="The shared work queue (LINKVAULT_WORK_QUEUE).")


class Health(BaseModel):
    status: str = Field(description="`ok`, or `unavailable` with a 503.")
    detail: str | None = Field(default=None, description="What does not answer, when unavailable.")


class AddLinks(BaseModel):
    urls: list[str] = Field(
        min_length=1, max_length=1000, description="http(s) URLs to archive (1 to 1000)."
    )
    section: str | None = Field(
        default=None, max_length=300, description="Section to file the new links under."
    )


# What the JSON schema says of an edit's values, for clients and /docs; the validators below
# apply the rule itself first (archiver/curation.py, archiver/tagging.py), with its messages,
# so what passes them always meets these.
_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"  # tab and newlines allowed
_TAG = r"^[^,\x00-\x1f\x7f-\x9f]*[^\s,\x00-\x1f\x7f-\x9f][^,\x00-\x1f\x7f-\x9f]*$"
Tag = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TAG_LENGTH, pattern=_TAG)]


class LinkEdit(BaseModel):
    """What PATCH /api/links/{id} sets: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(
        default=None,
        max_length=MAX_TITLE_LENGTH,
        pattern=_NO_CONTROL,
        description="The link's title (whitespace runs become one space); null or an empty "
        "string clears it, and the page's own title shows.",
    )
    section: str | None = Field(
        default=None,
        max_length=MAX_SECTION_LENGTH,
        pattern=_NO_CONTROL,
        description='Its section ("A / B": folder B inside A); null or empty clears it.',
    )
    tags: list[Tag] | None = Field(
        default=None,
        max_length=MAX_TAGS,
        description="Its tags, replacing the list (null or [] clears it): each 1 to 64 "
        "characters once trimmed, no control characters, no comma; a tag repeated in any "
        "case is kept once, as first spelled.",
    )
    note: str | None = Field(
        default=None,
        max_length=MAX_NOTE_LENGTH,
        pattern=_NO_CONTROL,
        description="A note on the link, several lines allowed; null or empty clears it.",
    )
    shelved: StrictBool = Field(
        default=False,
        description="true shelves the link (filed away, as in the tool it came from), false "
        "takes it off the shelf; a boolean, not null.",
    )

    @field_validator("title", "section", "note", mode="before")
    @classmethod
    def _one_rule(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value  # null, or the wrong type: the field's own check says so
        clean = {"title": clean_title, "section": clean_section, "note": clean_user_note}
        return clean[info.field_name or ""](value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_rule(cls, value: Any) -> Any:
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            return value
        return clean_tags(value)


class Accepted(BaseModel):
    ids: list[int] = Field(
        description="Link ids, in the order given; a URL already stored keeps its id."
    )


class SnapshotSummary(BaseModel):
    id: int = Field(description="Snapshot id, unique across links.")
    fetched_at: datetime = Field(description="When this copy was fetched (UTC).")
    status: str = Field(description="ok, or unsupported when the type has no text.")
    http_status: int | None = Field(description="HTTP status the page was fetched with.")
    size: int = Field(description="Bytes of the body, decompressed.")
    content_hash: str = Field(description="SHA-256 of the body, hex.")
    content_type: str | None = Field(description="MIME type of the body.")
    final_url: str = Field(description="Where the body was found, after redirects.")
    title: str | None = Field(description="Title the page gave itself.")
    current: bool = Field(description="True for the copy the link shows and search finds.")
    imported: bool = Field(
        default=False,
        description="True for a copy another tool's export carried (wallabag, Omnivore), "
        "kept as the link's first snapshot; false for a copy linkvault fetched.",
    )
    imported_from: str | None = Field(
        default=None, description='The tool it was imported from ("wallabag", "omnivore").'
    )


class SnapshotList(BaseModel):
    link_id: int = Field(description="Link id.")
    total: int = Field(description="Snapshots of this link: one per change of content.")
    items: list[SnapshotSummary] = Field(description="Newest first.")


class SnapshotDetail(SnapshotSummary):
    author: str | None = Field(description="Author named by the page.")
    published: str | None = Field(description="Publication date named by the page (ISO).")
    language: str | None = Field(description="Language of the page.")
    etag: str | None = Field(description="ETag the server sent, used for conditional checks.")
    last_modified: str | None = Field(description="Last-Modified the server sent.")
    text: str = Field(description="The text extracted from this copy, in full.")
    html: str | None = Field(
        description="This copy's structure as sanitized HTML; null when it has none."
    )
    markdown: str | None = Field(description="This copy's structure as Markdown; null when none.")


class SnapshotDiff(BaseModel):
    link_id: int = Field(description="Link id.")
    from_: SnapshotSummary = Field(
        serialization_alias="from", description="The older side of the diff."
    )
    to: SnapshotSummary = Field(description="The newer side of the diff.")
    added: int = Field(description="Lines only in `to`.")
    removed: int = Field(description="Lines only in `from`.")
    truncated: bool = Field(
        description="True when a text was too long and only its start compared."
    )
    diff: str = Field(description="Unified diff of the two texts (plain text, not HTML).")


class CheckItem(BaseModel):
    checked_at: datetime = Field(description="When the link was fetched (UTC).")
    status: str = Field(description="What the check found: ok, failed, dead, blocked, unsupported.")
    http_status: int | None = Field(description="HTTP status, when there was a response.")
    error: str | None = Field(description="Why the check did not bring a page.")
    changed: bool = Field(description="True when the check brought a new snapshot.")
    snapshot_id: int | None = Field(description="The snapshot current after this check.")


class CheckList(BaseModel):
    link_id: int = Field(description="Link id.")
    items: list[CheckItem] = Field(description="Newest first.")


class FollowedListItem(BaseModel):
    id: int = Field(description="List id, as `linkvault follow --list` shows it.")
    url: str = Field(description="The list as followed (a GitHub repository, a page, a file).")
    fetch_url: str = Field(description="Where it is read (a repository's README, raw).")
    section_prefix: str | None = Field(description="Put before its sections: `Prefix / Section`.")
    followed_at: datetime = Field(description="When it was followed (UTC).")
    read_at: datetime | None = Field(description="When it was last read, or tried (UTC).")
    status: str | None = Field(
        description="The last read: `ok`, `unchanged` (a 304 or the same bytes) or `failed`."
    )
    error: str | None = Field(description="Why the last read failed.")
    listed: int = Field(description="Links it lists.")
    no_longer_listed: int = Field(description="Links it listed and dropped (kept in the archive).")


class FollowedLists(BaseModel):
    lists: list[FollowedListItem] = Field(description="Every followed list, in the order followed.")


class SkippedEntry(BaseModel):
    source: str = Field(description="The file the entry came from (the uploaded file's name).")
    line: int | None = Field(
        description="Its line (or entry number, for a JSON export); null for the file as a whole."
    )
    reason: str = Field(description="Why no link came of it.")


class ImportResponse(BaseModel):
    source: str = Field(description="The uploaded file's name.")
    format: str | None = Field(
        description="The format it was read as (one of the `format` values but `auto`)."
    )
    added: int = Field(description="Links new to the archive.")
    already_present: int = Field(description="Links the archive had already (left as they are).")
    skipped: list[SkippedEntry] = Field(description="Entries that gave no link, and why.")
    link_ids: list[int] = Field(
        description="One id per distinct link in the file, new or not, in the file's order."
    )
    archiving: bool = Field(
        description="True when those not archived yet are being archived (or queued for "
        "workers) in the background."
    )
