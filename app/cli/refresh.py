"""`linkvault refresh`: re-check archived links, record what changed, find what rotted."""

from __future__ import annotations

import time
from collections import Counter
from typing import Annotated

import typer
from rich.markup import escape

from app.cli import output
from app.cli.common import (
    NETWORK_DOWN_EXIT,
    FetchOptions,
    NoWait,
    err,
    fail,
    fetch_options,
    writing,
)
from app.durations import format_duration, parse_duration
from app.services.archiving import (
    Queued,
    archive_or_queue,
    refresh_or_queue,
    tasks_to_archive,
    tasks_to_refresh,
)
from app.services.following import read_followed_lists
from app.services.linkrefs import UnknownLinks, link_ids_for
from app.services.vault import Vault
from archiver.models import LinkStatus
from archiver.pipeline import LinkDone
from archiver.refresh import RefreshSelection


@fetch_options
def refresh(
    urls: Annotated[
        list[str] | None,
        typer.Argument(
            help="Only these links (URLs as archived), whatever their age.", show_default=False
        ),
    ] = None,
    failed: Annotated[
        bool,
        typer.Option("--failed", help="Only failed links, without waiting for their retry delay."),
    ] = False,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="AGE",
            help="Links last checked more than AGE ago: 7d, 12h, 30m, 2w "
            "[default: LINKVAULT_REFRESH_AFTER, plus failed links due a retry].",
            show_default=False,
        ),
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Every link, whatever its age.")
    ] = False,
    repeat: Annotated[
        bool,
        typer.Option(
            "--repeat",
            help="Keep going: refresh, wait LINKVAULT_REFRESH_INTERVAL (6h), refresh again.",
        ),
    ] = False,
    fetch: FetchOptions = FetchOptions(),
    no_wait: NoWait = False,
) -> None:
    """Re-check archived links: a changed page gets a new snapshot, an unchanged one only a
    check in its history (a 304 when the site supports conditional requests).

    First every followed list (`linkvault follow`) is read again, with conditional
    requests: links added to it since are imported and archived, links dropped from it are
    kept and marked as no longer listed; a list that cannot be read is reported and the
    refresh goes on. Not when links are named by URL.

    Links whose text or status changed are re-indexed; a link that keeps failing over time
    (LINKVAULT_DEAD_AFTER_FAILURES checks, LINKVAULT_FAILURE_SPACING apart) or answers
    404/410 becomes dead, its last copy still searchable; a dead link that answers again is
    ok. With LINKVAULT_WORK_QUEUE=true the links are queued for `linkvault worker`
    instead. A 404/410 or "host not found" makes a link that has a copy dead only when a
    second check at least LINKVAULT_FAILURE_SPACING later sees it too. Exits 0 when the
    run completed, 2 for unknown URLs or a malformed AGE, 3 with --no-wait when another
    command is writing to the data directory, 4 when the network looked down (most hosts
    unreachable): the run stopped early and nothing was marked dead (--repeat says so and
    tries again next interval).
    """
    settings = fetch.settings()
    try:
        age = None if older_than is None else parse_duration(older_than)
    except ValueError as exc:
        raise fail(f"--older-than: {exc}") from None
    vault = Vault(settings)
    try:
        link_ids = _link_ids(vault, urls) if urls else None
        selection = RefreshSelection(
            older_than=age, failed_only=failed, everything=everything, link_ids=link_ids
        )
        while True:
            if not repeat:
                with writing(settings, "linkvault refresh", no_wait):
                    _refresh_once(vault, selection)
                break
            try:
                # The lock is held per round, not while sleeping between rounds.
                with writing(settings, "linkvault refresh --repeat", no_wait):
                    _refresh_once(vault, selection)
            except typer.Exit:
                # --no-wait and busy (writing() said so), or the network looked down (the
                # round said so): try again next round.
                pass
            except Exception as exc:  # a scheduled run must outlive one bad round
                err.print(f"[red]error:[/] this refresh failed: {escape(repr(exc))}")
            pause = settings.refresh_interval
            err.print(f"Next refresh in {format_duration(pause)}.")
            time.sleep(pause.total_seconds())
    except KeyboardInterrupt:
        err.print("Interrupted; what was checked is kept.")
        raise typer.Exit(130) from None
    finally:
        vault.close()


def _link_ids(vault: Vault, urls: list[str]) -> list[int]:
    try:
        return link_ids_for(vault, urls)
    except UnknownLinks as exc:
        raise fail(
            f"not in the archive (add them with `linkvault archive`): {', '.join(exc.urls)}"
        ) from None


def _refresh_once(vault: Vault, selection: RefreshSelection) -> None:
    if selection.link_ids is None:  # links named by URL: only those
        _read_lists(vault)
    tasks = tasks_to_refresh(vault, selection)
    err.print(f"{len(tasks)} links to re-check.")
    before = {task.id: task.status for task in tasks}
    moves: Counter[str] = Counter()

    def done(item: LinkDone) -> None:
        previous = before.get(item.link_id)
        if item.inconclusive:
            moves["inconclusive (the network looked down)"] += 1
            return
        if item.status is LinkStatus.OK and item.error:
            # A first 404/410 or "host not found" on an archived link: confirmed or not by a
            # check at least LINKVAULT_FAILURE_SPACING later.
            moves["unreachable (not confirmed yet)"] += 1
            return
        if item.changed:
            moves["changed (new snapshot)"] += 1
        elif item.status in (LinkStatus.OK, LinkStatus.UNSUPPORTED):
            moves["unchanged"] += 1
        if item.status is LinkStatus.DEAD and previous != LinkStatus.DEAD:
            moves["newly dead"] += 1
        elif item.status is LinkStatus.OK and previous in (LinkStatus.DEAD, LinkStatus.FAILED):
            moves["back again"] += 1

    watch = output.progress(err, label="refreshing", also=done)
    summary = refresh_or_queue(vault, tasks, watch=watch)
    if isinstance(summary, Queued):  # the workers check them (`linkvault worker`)
        output.print_queued(err, summary)
        return
    ids = [task.id for task in tasks]
    output.print_summary(
        err, vault.store, ids, summary, title="This refresh", problems_title="Needs attention"
    )
    if moves:
        err.print(escape(", ".join(f"{count} {what}" for what, count in moves.items())) + ".")
    if summary.outage:
        output.print_outage(err, summary)
        raise typer.Exit(NETWORK_DOWN_EXIT)


def _read_lists(vault: Vault) -> None:
    """Every followed list read again, what they added archived; a list that cannot be
    read is reported and the refresh goes on."""
    reads = read_followed_lists(vault)
    if not reads:
        return
    err.print(f"Reading {len(reads)} followed lists.")
    for read in reads:
        output.print_list_read(err, read)
    tasks = tasks_to_archive(vault, [link_id for read in reads for link_id in read.to_archive])
    if not tasks:
        return
    err.print(f"{len(tasks)} links added to followed lists to archive.")
    summary = archive_or_queue(vault, tasks, watch=output.progress(err))
    if isinstance(summary, Queued):
        output.print_queued(err, summary)
        return
    ids = [task.id for task in tasks]
    output.print_summary(err, vault.store, ids, summary, title="Added to followed lists")
    if summary.outage:
        output.print_outage(err, summary)
        raise typer.Exit(NETWORK_DOWN_EXIT)
