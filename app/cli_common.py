"""What every `linkvault` command shares: consoles, settings from options, common options."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

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


def fail(message: str, code: int = 2) -> typer.Exit:
    """Prints an error for the user; raise what it returns."""
    err.print(f"[red]error:[/] {escape(message)}")
    return typer.Exit(code)
