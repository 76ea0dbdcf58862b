"""The `linkvault` command: a thin layer that parses arguments, calls a service, prints.

One module per command group (archive, refresh, follow and unfollow, curate (edit and
remove), export, check and reindex, reextract, worker, search and status, serve and migrate,
passwd and token); the
options they share in `common`, what they print in `output`.
"""

from __future__ import annotations

import signal
import sys

import typer
from rich.markup import escape

from app.cli import (
    accounts,
    archive,
    check,
    curate,
    export,
    follow,
    reextract,
    refresh,
    search,
    serve,
    worker,
)
from app.cli.common import err

__all__ = ["cli", "main"]

cli = typer.Typer(
    name="linkvault",
    help="Archive reading lists, keep them alive, and search everything in them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
# In the order `linkvault --help` lists them.
cli.command()(archive.archive)
cli.command()(refresh.refresh)
cli.command()(follow.follow)
cli.command()(follow.unfollow)
cli.command()(curate.edit)
cli.command()(curate.remove)
cli.command()(export.export)
cli.command(name="check")(check.check_command)
cli.command()(worker.worker)
cli.command()(check.reindex)
cli.command(name="reextract")(reextract.reextract_command)
cli.command()(search.search)
cli.command()(search.status)
cli.command()(serve.serve)
cli.command()(serve.migrate)
cli.command()(accounts.passwd)
cli.add_typer(accounts.token_app)


def _interrupt_on_sigterm() -> None:
    # `docker compose stop`, systemd and `kill` send SIGTERM, whose default kills the process
    # on the spot: its extraction workers were left running and a round's summary was lost.
    # Raised as KeyboardInterrupt, it takes the same way out as Ctrl-C: the pool is shut down,
    # the index writer closed, and the command says what was kept. `serve` and `worker`
    # install their own handlers over this one.
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def main() -> None:
    from archiver.schema import SchemaOutOfDate
    from index import IndexUnavailable

    _interrupt_on_sigterm()
    try:
        cli()
    except SchemaOutOfDate as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    except IndexUnavailable as exc:
        # The index's message says what to do (`linkvault reindex` for an index made by
        # another version, say); a traceback would bury it. Exit 1, as before.
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(1)
