"""What every `linkvault` command shares: consoles, settings from options, common options."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from app.runlock import DataDirBusy, RunOwner, exclusive_run
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
        help="If another archive, refresh, reindex or check --repair is writing to the data "
        "directory, stop at once (exit 3) instead of waiting for it to finish.",
    ),
]
BUSY_EXIT = 3


@contextlib.contextmanager
def writing(settings: Settings, command: str, no_wait: bool = False) -> Iterator[None]:
    """Run the body as the data directory's only writing command (see app/runlock.py)."""

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


def fetch_settings_from(
    data_dir: Path | None,
    concurrency: int | None,
    per_host: int | None,
    deadline: float | None,
    allow_private: bool | None,
    workers: int | None,
    **overrides: Any,
) -> Settings:
    """settings_from for the commands that fetch, whose fetch options share their names."""
    return settings_from(
        data_dir=data_dir,
        concurrency=concurrency,
        per_host_concurrency=per_host,
        page_deadline=deadline,
        allow_private=allow_private,
        extract_workers=workers,
        **overrides,
    )


def fail(message: str, code: int = 2) -> typer.Exit:
    """Prints an error for the user; raise what it returns."""
    err.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(code)
