"""`linkvault follow` and `linkvault unfollow`: subscribe to reading lists on the web (the
use cases are app/services/following.py; `linkvault refresh` reads them again)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from app.cli import output
from app.cli.common import (
    NETWORK_DOWN_EXIT,
    DataDir,
    FetchOptions,
    NoWait,
    console,
    err,
    fail,
    fetch_options,
    settings_from,
    writing,
)
from app.services.archiving import Queued, archive_or_queue, tasks_to_archive
from app.services.following import (
    BadListAddress,
    ListUnreadable,
    UnknownList,
    follow_list,
    followed_lists,
    unfollow_list,
)
from app.services.vault import Vault
from archiver.lists import LIST_FAILED, ListState


@fetch_options
def follow(
    url: Annotated[
        str | None,
        typer.Argument(
            help="The list: a markdown or plain list, an HTML page of links, or a GitHub "
            "repository (its README).",
            show_default=False,
        ),
    ] = None,
    section_prefix: Annotated[
        str | None,
        typer.Option(
            "--section-prefix",
            metavar="TEXT",
            help="Put before the list's sections: TEXT / Section.",
            show_default=False,
        ),
    ] = None,
    show: Annotated[
        bool, typer.Option("--list", help="Print the followed lists and do nothing else.")
    ] = False,
    fetch: FetchOptions = FetchOptions(),
    no_wait: NoWait = False,
) -> None:
    """Follow a reading list on the web: import its links with their sections and archive
    them; every `linkvault refresh` reads it again and archives what was added since.

    A GitHub repository (https://github.com/OWNER/REPO, or .../tree/BRANCH) is read as its
    README. The list is fetched like a page: the address guard and every fetch limit apply.
    Following a list already followed reads it again (a new --section-prefix replaces its
    own). Exits 0 when the list was read; 2 when it cannot be read (a list not followed yet
    is then not followed, and nothing is imported); 3 with --no-wait when another command
    is writing; 4 when the network looked down.
    """
    settings = fetch.settings()
    if show:
        _print_lists(Vault(settings))
        return
    if url is None:
        raise fail("give the URL of a list to follow, or --list")
    vault = Vault(settings)
    try:
        with writing(settings, "linkvault follow", no_wait):
            try:
                followed = follow_list(vault, url, section_prefix)
            except (BadListAddress, ListUnreadable) as exc:
                raise fail(f"{exc}; nothing was imported.") from None
            state, read = followed.followed, followed.read
            verb = "Following" if followed.created else "Already following"
            err.print(f"{verb} {escape(state.url)} (list {state.id}).")
            output.print_list_read(err, read)
            if read.status == LIST_FAILED:  # followed before; it stays followed
                raise typer.Exit(2)
            tasks = tasks_to_archive(vault, read.to_archive)
            if not tasks:
                return
            summary = archive_or_queue(vault, tasks, watch=output.progress(err))
            if isinstance(summary, Queued):
                output.print_queued(err, summary)
                return
        output.print_summary(err, vault.store, [task.id for task in tasks], summary)
        if summary.outage:
            output.print_outage(err, summary)
            raise typer.Exit(NETWORK_DOWN_EXIT)
    except KeyboardInterrupt:
        err.print("Interrupted. Links finished so far are saved; run `linkvault refresh` to go on.")
        raise typer.Exit(130) from None
    finally:
        vault.close()


def unfollow(
    ref: Annotated[
        str,
        typer.Argument(
            metavar="URL|ID", help="The list: its URL, or its id as `follow --list` shows it."
        ),
    ],
    data_dir: DataDir = None,
    no_wait: NoWait = False,
) -> None:
    """Stop following a list. Its links stay in the archive, as they are; they are no longer
    counted as listed by it. Exits 2 when no followed list has that URL or id."""
    settings = settings_from(data_dir=data_dir)
    vault = Vault(settings)
    try:
        with writing(settings, "linkvault unfollow", no_wait):
            gone = unfollow_list(vault, ref)
    except UnknownList:
        raise fail(f"no followed list is {ref!r} (see `linkvault follow --list`)") from None
    finally:
        vault.close()
    err.print(f"No longer following {escape(gone.url)} (list {gone.id}); its links are kept.")


def _print_lists(vault: Vault) -> None:
    try:
        lists = followed_lists(vault)
    finally:
        vault.close()
    if not lists:
        err.print("No followed lists. Follow one with `linkvault follow URL`.")
        return
    for state in lists:
        console.print(escape(_describe(state)), highlight=False, soft_wrap=True)


def _describe(state: ListState) -> str:
    read = state.read_at.strftime("%Y-%m-%d %H:%M UTC") if state.read_at else "never"
    status = state.status or "not read"
    if state.error:
        status += f" ({state.error})"
    prefix = f", sections under {state.section_prefix!r}" if state.section_prefix else ""
    return (
        f"{state.id}  {state.url}  {state.listed} listed, {state.no_longer_listed} no longer "
        f"listed{prefix}; last read {read}: {status}"
    )
