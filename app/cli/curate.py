"""`linkvault remove` and `linkvault edit`: curate the archive from the terminal (the use
cases are app/services/curation.py)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from app.cli.common import DataDir, NoWait, console, err, fail, settings_from, writing
from app.services.curation import edit_link, links_to_remove, remove_links
from app.services.linkrefs import UnknownLinks, resolve_links
from app.services.vault import Vault
from archiver import KEEP, CuratedLink, InvalidField, InvalidTag

# The change is stored, but the search index could not follow (it was locked past its wait,
# or it is damaged): exit 1, and say how it catches up.
INDEX_BEHIND_EXIT = 1


def remove(
    links: Annotated[
        list[str],
        typer.Argument(
            metavar="URL|ID...",
            help="Links to remove: URLs as archived, or ids as /links/ID shows them.",
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only print what would be removed.")
    ] = False,
    data_dir: DataDir = None,
    no_wait: NoWait = False,
) -> None:
    """Remove links with everything archived for them: snapshots, checks, queue entry,
    search document, and the images no other link shows.

    Prints each link removed (id, URL, title). Exits 2, removing nothing, when one of them
    is not in the archive; 3 with --no-wait when another command is writing to the data
    directory; 1 when the links were removed but the search index could not follow (the
    next run, or `linkvault check --repair`, catches it up).
    """
    settings = settings_from(data_dir=data_dir)
    vault = Vault(settings)
    try:
        if dry_run:
            chosen = links_to_remove(vault, resolve_links(vault, links))
            _print_links("would remove", chosen)
            err.print(f"{len(chosen)} links would be removed; nothing was.")
            return
        with writing(settings, "linkvault remove", no_wait):
            removal = remove_links(vault, resolve_links(vault, links))
    except UnknownLinks as exc:
        raise fail(f"not in the archive: {exc}; nothing was removed.") from None
    finally:
        vault.close()
    _print_links("removed", removal.links)
    err.print(f"Removed {len(removal.links)} links.")
    if removal.index_error:
        err.print(
            f"[yellow]warning:[/] the search index could not follow: "
            f"{escape(removal.index_error)} Their documents go at the next run, or with "
            "`linkvault check --repair`."
        )
        raise typer.Exit(INDEX_BEHIND_EXIT)


def edit(
    link: Annotated[
        str,
        typer.Argument(
            metavar="ID|URL", help="The link: its id, or its URL as archived.", show_default=False
        ),
    ],
    title: Annotated[
        str | None,
        typer.Option(help='Its title; "" clears it (the page\'s own shows).', show_default=False),
    ] = None,
    section: Annotated[
        str | None, typer.Option(help='Its section; "" clears it.', show_default=False)
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            metavar="TAG",
            help="Add this tag (repeat for more): 1 to 64 characters, no comma.",
            show_default=False,
        ),
    ] = None,
    untag: Annotated[
        list[str] | None,
        typer.Option(
            "--untag",
            metavar="TAG",
            help="Remove this tag, whatever its case (repeat for more).",
            show_default=False,
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option(help='A note on the link; "" clears it.', show_default=False)
    ] = None,
    shelve: Annotated[
        bool | None,
        typer.Option(
            "--shelve/--unshelve",
            help="Shelve the link (filed away, as archived or read in the tool it came "
            "from), or take it off the shelf.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
    no_wait: NoWait = False,
) -> None:
    """Set a link's title, section, tags, note or shelved state, then print it.

    What is set here wins over what the page says and survives refresh; the search index
    follows at once. Exits 2 for an unknown link or an invalid value (nothing changed), 3
    with --no-wait when another command is writing to the data directory, 1 when the edit
    was stored but the search index could not follow.
    """
    settings = settings_from(data_dir=data_dir)
    changes: dict[str, Any] = {
        "title": KEEP if title is None else title,
        "section": KEEP if section is None else section,
        "note": KEEP if note is None else note,
        "add_tags": tag or [],
        "remove_tags": untag or [],
        "shelved": KEEP if shelve is None else shelve,
    }
    vault = Vault(settings)
    try:
        with writing(settings, "linkvault edit", no_wait):
            (link_id,) = resolve_links(vault, [link])
            edited = edit_link(vault, link_id, **changes)
    except UnknownLinks as exc:
        raise fail(f"not in the archive: {exc}") from None
    except (InvalidTag, InvalidField) as exc:
        raise fail(f"{exc}; nothing was changed.") from None
    finally:
        vault.close()
    _print_link(edited.link)
    err.print(f"Changed: {', '.join(edited.changed)}." if edited.changed else "Nothing changed.")
    if edited.index_error:
        err.print(
            f"[yellow]warning:[/] the search index could not follow: "
            f"{escape(edited.index_error)} It catches up at the next run, or with "
            "`linkvault check --repair`."
        )
        raise typer.Exit(INDEX_BEHIND_EXIT)


def _print_links(verb: str, links: list[CuratedLink]) -> None:
    for item in links:
        console.print(
            f"{verb} {item.id}  {escape(item.url)}  {escape(item.shown_title)}", soft_wrap=True
        )


def _print_link(item: CuratedLink) -> None:
    title = escape(item.title) if item.title else f"[dim](the page's)[/] {escape(item.shown_title)}"
    rows = [
        ("link", f"{item.id}  {escape(item.url)}"),
        ("title", title),
        ("section", escape(item.section or "")),
        ("tags", escape(", ".join(item.tags))),
        ("note", escape(item.note or "").replace("\n", "\n" + " " * 9)),
        ("shelved", "yes" if item.shelved else "no"),
    ]
    for name, value in rows:
        console.print(f"{name:<8} {value}", soft_wrap=True)
