"""What every `linkvault` command shares: consoles, settings from options, common options."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from app.services.runlock import DataDirBusy, RunOwner, exclusive_run
from app.settings import Settings

console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder for the database and the index [env: LINKVAULT_DATA_DIR; default ./data].",
        show_default=False,
    ),
]
Concurrency = Annotated[
    int | None, typer.Option(help="Pages fetched at once [env: LINKVAULT_CONCURRENCY; 16].")
]
PerHost = Annotated[
    int | None,
    typer.Option(help="Pages fetched at once per host [env: LINKVAULT_PER_HOST_CONCURRENCY; 2]."),
]
Deadline = Annotated[
    float | None,
    typer.Option(help="Seconds allowed per page [env: LINKVAULT_PAGE_DEADLINE; 30]."),
]
AllowPrivate = Annotated[
    bool | None,
    typer.Option(
        "--allow-private/--no-allow-private",
        help="Fetch private and loopback addresses [env: LINKVAULT_ALLOW_PRIVATE; off].",
        show_default=False,
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(help="Extraction processes, 0 for one per core [env: LINKVAULT_EXTRACT_WORKERS]."),
]

NoWait = Annotated[
    bool,
    typer.Option(
        "--no-wait",
        help="If another archive, refresh, reextract, edit, remove, reindex or check --repair is "
        "writing to the data directory, stop at once (exit 3) instead of waiting for it to "
        "finish.",
    ),
]
BUSY_EXIT = 3
# The run stopped because the network looked down (archiver/outage.py); nothing was marked dead.
NETWORK_DOWN_EXIT = 4


@contextlib.contextmanager
def writing(settings: Settings, command: str, no_wait: bool = False) -> Iterator[None]:
    """Run the body as the data directory's only writing command (see app/services/runlock.py)."""

    def waiting(owner: RunOwner | None) -> None:
        who = owner.describe() if owner else "Another linkvault command"
        err.print(
            f"{escape(who)} is writing to {escape(str(settings.data_dir))}; "
            "waiting for it to finish (Ctrl-C to stop, --no-wait to not wait)."
        )

    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(
                exclusive_run(settings.data_dir, command, wait=not no_wait, on_wait=waiting)
            )
        except DataDirBusy as exc:
            raise fail(str(exc), code=BUSY_EXIT) from None
        yield


def settings_from(**overrides: Any) -> Settings:
    """Settings from the environment, with the options the user gave on top."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        err.print(f"[red]error:[/] invalid settings: {escape(problems)}")
        raise typer.Exit(2) from None


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """The options of the commands that fetch (archive, refresh, worker), as given."""

    data_dir: Path | None = None
    concurrency: int | None = None
    per_host: int | None = None
    deadline: float | None = None
    allow_private: bool | None = None
    workers: int | None = None

    def settings(self, **overrides: Any) -> Settings:
        """settings_from with these options, under the names the settings give them."""
        return settings_from(
            data_dir=self.data_dir,
            concurrency=self.concurrency,
            per_host_concurrency=self.per_host,
            page_deadline=self.deadline,
            allow_private=self.allow_private,
            extract_workers=self.workers,
            **overrides,
        )


_FETCH_OPTIONS: dict[str, Any] = {
    "data_dir": DataDir,
    "concurrency": Concurrency,
    "per_host": PerHost,
    "deadline": Deadline,
    "allow_private": AllowPrivate,
    "workers": Workers,
}


def fetch_options(command: Callable[..., None]) -> Callable[..., None]:
    """Stands the fetch options (--data-dir, --concurrency, --per-host, --deadline,
    --allow-private/--no-allow-private, --workers) in for the command's `fetch: FetchOptions`
    parameter, at its place in the option list.

    Typer reads a command's options from its signature, so each command that fetches would
    list all six and pass them on one by one; this way they are declared once, here."""
    signature = inspect.signature(command, eval_str=True)
    params: list[inspect.Parameter] = []
    for param in signature.parameters.values():
        if param.name != "fetch":
            params.append(param)
            continue
        params += [
            inspect.Parameter(name, param.POSITIONAL_OR_KEYWORD, default=None, annotation=option)
            for name, option in _FETCH_OPTIONS.items()
        ]

    @functools.wraps(command)
    def with_fetch_options(**given: Any) -> None:
        fetch = FetchOptions(**{name: given.pop(name) for name in _FETCH_OPTIONS})
        command(**given, fetch=fetch)

    with_fetch_options.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    with_fetch_options.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    return with_fetch_options


def fail(message: str, code: int = 2) -> typer.Exit:
    """Prints an error for the user; raise what it returns."""
    err.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(code)
