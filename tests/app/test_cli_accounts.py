"""`linkvault passwd` and `linkvault token ...`, run as a user runs them."""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.services.accounts import AccountService
from app.services.vault import Vault
from app.settings import Settings


def linkvault(
    data_dir: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LINKVAULT_DATA_DIR=str(data_dir), COLUMNS="200")
    env.pop("LINKVAULT_API_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
    )


def _accounts(data_dir: Path) -> tuple[Vault, AccountService]:
    vault = Vault(Settings(data_dir=data_dir))  # type: ignore[call-arg]
    return vault, AccountService(vault.store)


def test_passwd_reads_one_line_of_standard_input(tmp_path: Path) -> None:
    done = linkvault(tmp_path, "passwd", stdin="a fine password\nnext line ignored\n")
    assert done.returncode == 0, done.stderr
    assert "Password set" in done.stderr
    assert done.stdout == ""
    vault, accounts = _accounts(tmp_path)
    try:
        assert accounts.check_password("a fine password") is not None
        assert accounts.check_password("a fine password\n") is None
    finally:
        vault.close()


def test_passwd_again_replaces_it(tmp_path: Path) -> None:
    assert linkvault(tmp_path, "passwd", stdin="the first one\n").returncode == 0
    assert linkvault(tmp_path, "passwd", stdin="the second one\r\n").returncode == 0
    vault, accounts = _accounts(tmp_path)
    try:
        assert accounts.check_password("the first one") is None
        assert accounts.check_password("the second one") is not None
    finally:
        vault.close()


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("", "no password given"),
        ("\n", "no password given"),
        ("short\n", "at least 8 characters"),
    ],
)
def test_passwd_refuses_empty_or_short_passwords(tmp_path: Path, given: str, says: str) -> None:
    assert linkvault(tmp_path, "passwd", stdin="the old one ok\n").returncode == 0
    done = linkvault(tmp_path, "passwd", stdin=given)
    assert done.returncode == 2
    assert says in done.stderr and "nothing changed" in done.stderr
    assert "Traceback" not in done.stderr
    vault, accounts = _accounts(tmp_path)
    try:
        assert accounts.check_password("the old one ok") is not None
    finally:
        vault.close()


def test_token_create_list_revoke(tmp_path: Path) -> None:
    created = linkvault(tmp_path, "token", "create", "phone")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert created.stdout == token + "\n" and token.startswith("lv_")
    assert "shown only this once" in created.stderr
    assert linkvault(tmp_path, "token", "create", "backup-script").returncode == 0

    # The database holds no token, only hashes.
    with sqlite3.connect(tmp_path / "linkvault.db") as conn:
        assert token not in repr(conn.execute("SELECT * FROM api_tokens").fetchall())

    vault, accounts = _accounts(tmp_path)
    try:
        assert accounts.token_name(token) == "phone"  # marks it used
    finally:
        vault.close()

    listed = linkvault(tmp_path, "token", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["name", "created", "last", "used"]
    assert lines[1].startswith("phone") and "never" not in lines[1]
    assert lines[2].startswith("backup-script") and lines[2].rstrip().endswith("never")
    assert token not in listed.stdout

    revoked = linkvault(tmp_path, "token", "revoke", "phone")
    assert revoked.returncode == 0 and "revoked" in revoked.stderr
    vault, accounts = _accounts(tmp_path)
    try:
        assert accounts.token_name(token) is None
    finally:
        vault.close()
    assert "phone" not in linkvault(tmp_path, "token", "list").stdout


def test_token_errors_are_clear(tmp_path: Path) -> None:
    assert linkvault(tmp_path, "token", "create", "phone").returncode == 0
    taken = linkvault(tmp_path, "token", "create", "phone")
    assert taken.returncode == 2 and "a token named 'phone' exists" in taken.stderr
    assert taken.stdout == ""
    bad = linkvault(tmp_path, "token", "create", "two words")
    assert bad.returncode == 2 and "is not a token name" in bad.stderr
    unknown = linkvault(tmp_path, "token", "revoke", "tablet")
    assert unknown.returncode == 2 and "no token named 'tablet'" in unknown.stderr
    for done in (taken, bad, unknown):
        assert "Traceback" not in done.stderr


def test_token_list_when_there_are_none(tmp_path: Path) -> None:
    listed = linkvault(tmp_path, "token", "list")
    assert listed.returncode == 0
    assert "No API tokens" in listed.stderr and listed.stdout == ""


def _on_a_terminal(data_dir: Path, *answers: str) -> tuple[int, str]:
    """Runs `linkvault passwd` on a pseudo-terminal, answering each prompt in turn."""
    env = dict(os.environ, LINKVAULT_DATA_DIR=str(data_dir), COLUMNS="200")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its standard input and its /dev/tty
        os.execve(sys.executable, [sys.executable, "-m", "app", "passwd"], env)
    seen = b""
    pending = list(answers)
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        assert ready, f"no prompt; saw {seen!r}"
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if pending and chunk.rstrip().endswith(b":"):  # a new prompt
            os.write(fd, pending.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_passwd_prompts_twice_on_a_terminal(tmp_path: Path) -> None:
    code, shown = _on_a_terminal(tmp_path, "typed at the prompt", "typed at the prompt")
    assert code == 0, shown
    assert "New password:" in shown and "The same again:" in shown
    assert "typed at the prompt" not in shown  # not echoed
    vault, accounts = _accounts(tmp_path)
    try:
        assert accounts.check_password("typed at the prompt") is not None
    finally:
        vault.close()


def test_passwd_refuses_two_different_answers(tmp_path: Path) -> None:
    code, shown = _on_a_terminal(tmp_path, "one password here", "another password")
    assert code == 2
    assert "the two passwords differ; nothing changed" in shown
    vault, accounts = _accounts(tmp_path)
    try:
        assert not accounts.has_password()
    finally:
        vault.close()
