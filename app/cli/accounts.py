"""`linkvault passwd` and `linkvault token create|list|revoke`: the owner's password for the
web sign-in, and API tokens for scripts (app/services/accounts.py does the work).

Neither takes the data directory's writer lock: each is one short transaction, which the
database orders with whatever else is writing.
"""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from app.cli.common import DataDir, console, err, fail, settings_from
from app.services.accounts import (
    AccountService,
    InvalidTokenName,
    TokenNameTaken,
    UnknownToken,
    WeakPassword,
)
from app.services.vault import Vault

token_app = typer.Typer(
    name="token",
    help="API tokens for `Authorization: Bearer`: create (shown once), list, revoke.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _read_password() -> str:
    """Twice from a prompt on a terminal; one line of standard input otherwise (scripts)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    try:
        first = getpass.getpass("New password: ")
        again = getpass.getpass("The same again: ")
    except EOFError:
        raise fail("no password given; nothing changed") from None
    if first != again:
        raise fail("the two passwords differ; nothing changed")
    return first


def passwd(data_dir: DataDir = None) -> None:
    """Set the owner's password for signing in on the web page; every browser signed in
    before is signed out."""
    settings = settings_from(data_dir=data_dir)
    password = _read_password()
    vault = Vault(settings)
    try:
        AccountService(vault.store).set_password(password)
    except WeakPassword as exc:
        raise fail(f"{exc}; nothing changed") from None
    finally:
        vault.close()
    err.print("Password set. Sign in at /signin; browsers signed in before are signed out.")


TokenName = Annotated[str, typer.Argument(help="What the token is for: phone, backup-script.")]


@token_app.command("create")
def token_create(name: TokenName, data_dir: DataDir = None) -> None:
    """Make a token and print it, once: it is stored only as a hash."""
    vault = Vault(settings_from(data_dir=data_dir))
    try:
        token = AccountService(vault.store).create_token(name)
    except InvalidTokenName as exc:
        raise fail(str(exc)) from None
    except TokenNameTaken:
        taken = f"a token named {name!r} exists; revoke it first or choose another name"
        raise fail(taken) from None
    finally:
        vault.close()
    # Plain, alone on standard output, so `TOKEN=$(linkvault token create ci)` works.
    typer.echo(token)
    err.print(
        f"Token {escape(name)!r} created. It is shown only this once: keep it somewhere safe, "
        "and send it as `Authorization: Bearer TOKEN`."
    )


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


@token_app.command("list")
def token_list(data_dir: DataDir = None) -> None:
    """Each token's name, when it was made and last used (never the token)."""
    vault = Vault(settings_from(data_dir=data_dir))
    try:
        tokens = AccountService(vault.store).tokens()
    finally:
        vault.close()
    if not tokens:
        err.print("No API tokens. Make one with `linkvault token create NAME`.")
        return
    table = Table("name", "created", "last used", box=None, pad_edge=False)
    for token in tokens:
        table.add_row(escape(token.name), _when(token.created_at), _when(token.last_used_at))
    console.print(table)


@token_app.command("revoke")
def token_revoke(name: TokenName, data_dir: DataDir = None) -> None:
    """Delete the token: requests bearing it are refused from now on."""
    vault = Vault(settings_from(data_dir=data_dir))
    try:
        AccountService(vault.store).revoke_token(name)
    except UnknownToken:
        raise fail(f"no token named {name!r} (see `linkvault token list`)") from None
    finally:
        vault.close()
    err.print(f"Token {escape(name)!r} revoked.")
