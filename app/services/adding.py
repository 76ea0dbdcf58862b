"""Adding one link by hand (the web page's form, the bookmarklet, a phone's share sheet):
read what was sent, refuse what cannot be archived with a message per field, store it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import ClassVar

from app.services.curation import edit_link, field_problems
from app.services.vault import Vault
from archiver import KEEP, LinkSpec, clean_tags, clean_text, split_tags
from archiver.curation import clean_section, clean_title, clean_user_note
from archiver.urls import is_http_url, normalize_url

# The first http(s) URL in shared text: Android's share sheet sends "Title https://…" as
# `text` and leaves `url` empty.
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# Shared text often ends a URL with punctuation that belongs to the sentence.
_TRAILING = ".,;:!?)]}'\""

SOURCE = "<web>"


@dataclass(frozen=True, slots=True)
class AddForm:
    """What the form holds, as typed (so a refused form is shown again as it was)."""

    FIELDS: ClassVar[tuple[str, ...]] = ("url", "text", "title", "section", "tags", "note")

    url: str = ""
    title: str = ""
    section: str = ""
    tags: str = ""  # comma-separated, as typed
    note: str = ""
    tag_list: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Added:
    link_id: int
    new: bool


class AddRefused(ValueError):
    """The form cannot be saved; `errors` maps a field to what is wrong with it."""

    def __init__(self, form: AddForm, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.form = form
        self.errors = errors


def url_from(url: str, text: str) -> str:
    """The URL given, or the first one in the shared text."""
    url = url.strip()
    if url or not text:
        return url
    found = _URL_IN_TEXT.search(text)
    return found.group(0).rstrip(_TRAILING) if found else ""


def form_from_values(values: Mapping[str, str], *, strict: bool) -> AddForm:
    """The form from request values; with `strict`, AddRefused unless it can be saved."""
    form = AddForm(
        url=url_from(values.get("url", ""), values.get("text", "")),
        title=clean_text(values.get("title", "")) or "",
        section=clean_text(values.get("section", "")) or "",
        tags=values.get("tags", "").strip(),
        note=values.get("note", "").strip(),
    )
    if not strict:
        return form
    errors: dict[str, str] = {}
    if not form.url:
        errors["url"] = "Enter the address of the page to archive."
    elif not is_http_url(form.url):
        errors["url"] = "Only http:// and https:// addresses can be archived."
    # The rules an edit of the link would apply, so what the add form takes the edit form
    # takes too.
    errors |= field_problems(
        {"title": form.title, "section": form.section, "tags": form.tags, "note": form.note}
    )
    if errors:
        raise AddRefused(form, errors)
    return replace(
        form,
        title=clean_title(form.title) or "",
        section=clean_section(form.section) or "",
        note=clean_user_note(form.note) or "",
        tag_list=tuple(clean_tags(split_tags(form.tags))),
    )


def add_link(vault: Vault, form: AddForm) -> Added:
    """Stores the link of a checked form (form_from_values(strict=True)).

    A new link gets everything the form says. A link already in the archive keeps what it
    has: the form's tags are added to its own, and its title, section and note are set only
    where it had none, so adding a page twice never loses an edit.
    """
    spec = LinkSpec(
        url=form.url,
        normalized_url=normalize_url(form.url),
        title=form.title or None,
        section=form.section or None,
        source=SOURCE,
        line=None,
        tags=form.tag_list,
        note=form.note or None,
    )
    counts = vault.import_links([spec])
    link_id = counts.link_ids[0]
    if counts.new:
        return Added(link_id=link_id, new=True)
    existing = vault.store.curation.describe([link_id])
    if existing:
        link = existing[0]
        edit_link(
            vault,
            link_id,
            title=form.title if form.title and not link.title else KEEP,
            section=form.section if form.section and not link.section else KEEP,
            note=form.note if form.note and not link.note else KEEP,
            add_tags=form.tag_list,
        )
    return Added(link_id=link_id, new=False)
