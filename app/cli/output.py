"""What the command line shows: progress, summaries, search hits and status."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.services.archiving import OnDone, Queued, Watch
from app.services.following import ListRead
from archiver import LinkTask, Store
from archiver.lists import LIST_FAILED, LIST_UNCHANGED
from archiver.models import LinkStatus
from archiver.pipeline import LinkDone, RunSummary
from archiver.queue import queue_counts
from index import SearchBackend, SearchPage

_STATUS_STYLE = {
    "ok": "green",
    "failed": "yellow",
    "dead": "red",
    "blocked": "magenta",
    "unsupported": "cyan",
    "pending": "dim",
}


class ArchiveProgress:
    """A live bar with running counts by outcome."""

    def __init__(self, console: Console, total: int, label: str = "archiving") -> None:
        self._counts: Counter[str] = Counter()
        self._progress = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=total == 0,
        )
        self._task = self._progress.add_task("archive", total=total, counts=self._describe())

    def _describe(self) -> str:
        parts = [
            f"[{_STATUS_STYLE[s]}]{s} {self._counts[s]}[/]" for s in _STATUS_STYLE if s != "pending"
        ]
        return " ".join(parts)

    def advance(self, done: LinkDone) -> None:
        self._counts["removed" if done.removed else done.status.value] += 1
        self._progress.update(self._task, advance=1, counts=self._describe())

    def __enter__(self) -> ArchiveProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()


def progress(console: Console, label: str = "archiving", also: OnDone | None = None) -> Watch:
    """A live bar for a run here (archive_or_queue, refresh_or_queue); `also` hears of each
    finished link too."""

    @contextlib.contextmanager
    def watch(tasks: Sequence[LinkTask]) -> Iterator[OnDone]:
        with ArchiveProgress(console, total=len(tasks), label=label) as bar:

            def done(item: LinkDone) -> None:
                if also is not None:
                    also(item)
                bar.advance(item)

            yield done

    return watch


def print_queued(console: Console, queued: Queued) -> None:
    """What archive and refresh say when LINKVAULT_WORK_QUEUE sends their links to the workers."""
    console.print(
        f"Queued {queued.queued} links to {queued.kind} for `linkvault worker`"
        + (f" ({queued.already} were queued already)" if queued.already else "")
        + f"; {queued.waiting.queued} in the queue, {queued.waiting.leased} being worked on."
    )


def print_summary(
    console: Console,
    store: Store,
    link_ids: Sequence[int],
    summary: RunSummary,
    *,
    title: str = "This run",
    problems_title: str = "Not archived",
) -> None:
    """The run's counts, then every link of these sources that is not archived."""
    table = Table(title=title, show_edge=False)
    table.add_column("status")
    table.add_column("links", justify="right")
    for status in LinkStatus:
        if summary.counts[status.value]:
            style = _STATUS_STYLE[status.value]
            table.add_row(f"[{style}]{status.value}[/]", str(summary.counts[status.value]))
    if summary.counts["inconclusive"]:
        table.add_row("[yellow]inconclusive[/]", str(summary.counts["inconclusive"]))
    if summary.counts["removed"]:  # removed while they were fetched: nothing stored
        table.add_row("[dim]removed[/]", str(summary.counts["removed"]))
    table.add_row("total", str(summary.total))
    console.print(table)
    problems = store.runs.problem_links(link_ids)
    if problems:
        listing = Table(title=problems_title, show_edge=False)
        listing.add_column("status")
        listing.add_column("url", overflow="fold")
        listing.add_column("why", overflow="fold")
        for link in problems:
            style = _STATUS_STYLE.get(link.status, "")
            listing.add_row(
                f"[{style}]{link.status}[/]", escape(link.url), escape(link.error or "")
            )
        console.print(listing)


def print_outage(console: Console, summary: RunSummary) -> None:
    """The run stopped because the network looked down: say so, and what was left."""
    console.print(f"[red]error:[/] {escape(summary.outage or 'the network looks down')}")
    if summary.not_tried:
        console.print(f"{summary.not_tried} links were not tried; run the command again later.")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def search_json(page: SearchPage) -> dict[str, Any]:
    return {
        "query": page.query,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "results": [
            {
                "id": hit.id,
                "url": hit.url,
                "title": hit.title,
                "snippet": hit.snippet,
                "section": hit.section,
                "domain": hit.domain,
                "status": hit.status,
                "score": hit.score,
                "archived_at": _iso(hit.archived_at),
                "tags": hit.tags,
                "note": hit.note,
            }
            for hit in page.hits
        ],
        "facets": page.facets,
        "suggestion": page.suggestion,
        "fallback_or": page.fallback_or,
    }


_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def _snippet_markup(snippet_html: str) -> str:
    """Snippet HTML (escaped text plus <mark>) to rich markup for the terminal."""
    import html

    parts = []
    last = 0
    for match in _MARK.finditer(snippet_html):
        parts.append(escape(html.unescape(snippet_html[last : match.start()])))
        parts.append(f"[bold yellow]{escape(html.unescape(match.group(1)))}[/]")
        last = match.end()
    parts.append(escape(html.unescape(snippet_html[last:])))
    return "".join(parts)


def print_search(console: Console, page: SearchPage) -> None:
    if page.fallback_or and page.total:
        console.print("[dim]No page has every word; showing pages with any of them.[/]")
    if not page.total:
        console.print(f"No results for {escape(page.query)!r}.")
    for number, hit in enumerate(page.hits, start=(page.page - 1) * page.per_page + 1):
        badge = "" if hit.status == "ok" else f" [red]\\[{hit.status}][/]"
        console.print(f"[bold]{number}. {escape(hit.title)}[/]{badge}")
        console.print(f"   [blue]{escape(hit.url)}[/]")
        if hit.tags:
            console.print(
                "   [dim]tags:[/] " + ", ".join(f"[cyan]{escape(t)}[/]" for t in hit.tags)
            )
        if hit.snippet:
            console.print("   " + _snippet_markup(hit.snippet))
        console.print()
    if page.total:
        shown = f"{len(page.hits)} of {page.total}"
        console.print(f"[dim]{shown} results, page {page.page}, {page.elapsed_ms:.0f} ms[/]")
    if page.suggestion:
        console.print(f"Did you mean: [bold]{escape(page.suggestion)}[/]?")


def status_report(store: Store, index: SearchBackend) -> dict[str, Any]:
    run = store.runs.last_run()
    dead = store.runs.links_with_status(LinkStatus.DEAD)
    unreachable = store.runs.unreachable_links()
    queue = queue_counts(store.engine)
    return {
        "counts": store.runs.status_counts(),
        "documents_indexed": index.doc_count(),
        "dead": [
            {"id": link.id, "url": link.url, "error": link.error, "since": _iso(link.dead_since)}
            for link in dead
        ],
        "unreachable": [
            {
                "id": link.id,
                "url": link.url,
                "reason": link.unreachable_reason,
                "since": _iso(link.unreachable_since),
            }
            for link in unreachable
        ],
        "last_run": None
        if run is None
        else {
            "kind": run.kind,
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
            "counts": run.counts,
        },
        "queue": {"queued": queue.queued, "leased": queue.leased, "expired": queue.expired},
    }


def print_status(console: Console, report: dict[str, Any]) -> None:
    table = Table(title="Links", show_edge=False)
    table.add_column("status")
    table.add_column("links", justify="right")
    for status, count in report["counts"].items():
        table.add_row(f"[{_STATUS_STYLE.get(status, '')}]{status}[/]", str(count))
    console.print(table)
    console.print(f"Documents indexed: {report['documents_indexed']}")
    if report["dead"]:
        console.print("[red]Dead links:[/]")
        for link in report["dead"]:
            since = (link["since"] or "")[:10] or "unknown"
            console.print(f"  {escape(link['url'])} since {since}: {escape(link['error'] or '')}")
    if report["unreachable"]:
        console.print("[yellow]Unreachable, not dead until a later check confirms it:[/]")
        for link in report["unreachable"]:
            since = (link["since"] or "")[:10] or "unknown"
            reason = escape(link["reason"] or "")
            console.print(f"  {escape(link['url'])} since {since}: {reason}")
    run = report["last_run"]
    if run:
        state = "finished " + str(run["finished_at"]) if run["finished_at"] else "did not finish"
        console.print(f"Last run: {run['kind']} started {run['started_at']}, {state}")
    queue = report["queue"]
    if queue["queued"]:
        console.print(
            f"Work queue: {queue['queued']} links, {queue['leased']} being worked on"
            + (f", {queue['expired']} left by a worker that stopped" if queue["expired"] else "")
        )


def print_list_read(console: Console, read: ListRead) -> None:
    """One line for what reading a list did, and the lines it skipped."""
    name = escape(read.followed.url)
    if read.status == LIST_FAILED:
        console.print(f"[red]error:[/] {escape(read.error or 'cannot read it')}")
        return
    if read.status == LIST_UNCHANGED:
        console.print(f"{name}: unchanged.")
        return
    change = read.change
    parts = [f"{read.listed} links ({read.new} new to the archive)"]
    if change is not None and change.returned:
        parts.append(f"{len(change.returned)} listed again")
    if change is not None and change.dropped:
        parts.append(f"{len(change.dropped)} no longer listed (kept)")
    console.print(f"{name}: " + ", ".join(parts) + ".")
    for problem in read.problems:
        where = problem.source + (f":{problem.line}" if problem.line else "")
        console.print(f"[yellow]skipped[/] {escape(where)}: {escape(problem.message)}")
