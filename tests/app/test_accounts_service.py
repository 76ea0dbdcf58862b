"""The accounts service: argon2id hashes, constant-time checks, tokens kept only as SHA-256,
revoking, and the sign-in limit per client (with a clock of the test's own, no sleeping)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from app.services.accounts import (
    ENV_TOKEN_NAME,
    SIGNIN_FAILURE_LIMIT,
    SIGNIN_WINDOW,
    AccountService,
    InvalidTokenName,
    Refused,
    SignInOutcome,
    TokenNameTaken,
    UnknownToken,
    WeakPassword,
    client_key,
)
from archiver import Store, make_engine
from tests.app._auth import FAST_HASHER

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "linkvault.db"


@pytest.fixture
def store(database: Path) -> Iterator[Store]:
    store = Store(make_engine(f"sqlite:///{database}"))
    store.create_schema()
    yield store
    store.engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(store: Store, clock: Clock) -> AccountService:
    return AccountService(store, clock=clock, hasher=FAST_HASHER)


def _rows(database: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute(query).fetchall()


def test_the_password_is_stored_as_an_argon2id_hash(store: Store, database: Path) -> None:
    accounts = AccountService(store)  # the real parameters
    accounts.set_password("correct horse battery")
    [(stored,)] = _rows(database, "SELECT password_hash FROM owner_password")
    assert isinstance(stored, str) and stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    assert accounts.check_password("correct horse battery") is not None
    assert accounts.check_password("correct horse batterY") is None
    assert not PasswordHasher().check_needs_rehash(stored)


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("", "no password given"),
        ("seven77", "at least 8 characters"),
        ("x" * 1025, "at most 1024 characters"),
        (" padded password ", "must not start or end with spaces"),
    ],
)
def test_weak_passwords_are_refused(accounts: AccountService, password: str, says: str) -> None:
    with pytest.raises(WeakPassword, match=says):
        accounts.set_password(password)
    assert not accounts.has_password()


def test_without_a_password_nothing_signs_in(accounts: AccountService) -> None:
    # A dummy hash is verified all the same, so the answer takes as long as a real one.
    assert accounts.check_password("") is None
    assert accounts.check_password("anything at all") is None
    assert accounts.session_stamp() is None
    assert accounts.session_is_current(None) is False


def test_a_new_password_changes_the_session_stamp(accounts: AccountService) -> None:
    accounts.set_password("first password")
    stamp = accounts.check_password("first password")
    assert stamp is not None and accounts.session_is_current(stamp)
    accounts.set_password("second password")
    assert not accounts.session_is_current(stamp)
    assert accounts.check_password("first password") is None
    new_stamp = accounts.check_password("second password")
    assert new_stamp is not None and new_stamp != stamp
    assert accounts.session_is_current(new_stamp)
    assert not accounts.session_is_current({"not": "a string"})


def test_tokens_are_random_shown_once_and_stored_hashed(
    accounts: AccountService, database: Path, clock: Clock
) -> None:
    first = accounts.create_token("phone")
    second = accounts.create_token("backup-script")
    assert first != second and first.startswith("lv_") and len(first) > 40
    stored = _rows(database, "SELECT name, token_sha256 FROM api_tokens ORDER BY id")
    assert stored == [
        ("phone", hashlib.sha256(first.encode()).hexdigest()),
        ("backup-script", hashlib.sha256(second.encode()).hexdigest()),
    ]
    everything = repr(_rows(database, "SELECT * FROM api_tokens"))
    assert first not in everything and second not in everything

    assert accounts.token_name(first) == "phone"
    assert accounts.token_name(second) == "backup-script"
    assert accounts.token_name(first + "x") is None
    assert accounts.token_name("") is None
    with pytest.raises(TokenNameTaken):
        accounts.create_token("phone")


def test_last_use_is_kept_to_the_minute(accounts: AccountService, clock: Clock) -> None:
    token = accounts.create_token("phone")
    assert accounts.tokens()[0].last_used_at is None
    accounts.token_name(token)
    assert accounts.tokens()[0].last_used_at == START
    clock.advance(seconds=30)
    accounts.token_name(token)  # not written again within the minute
    assert accounts.tokens()[0].last_used_at == START
    clock.advance(seconds=31)
    accounts.token_name(token)
    assert accounts.tokens()[0].last_used_at == START + timedelta(seconds=61)


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "tab\there", "semi;colon"])
def test_token_names_are_checked(accounts: AccountService, name: str) -> None:
    with pytest.raises(InvalidTokenName):
        accounts.create_token(name)


def test_a_revoked_token_is_refused(accounts: AccountService) -> None:
    token = accounts.create_token("phone")
    kept = accounts.create_token("laptop")
    accounts.revoke_token("phone")
    assert accounts.token_name(token) is None
    assert accounts.token_name(kept) == "laptop"
    assert [item.name for item in accounts.tokens()] == ["laptop"]
    with pytest.raises(UnknownToken):
        accounts.revoke_token("phone")


def test_the_environment_token_is_accepted_beside_the_stored_ones(store: Store) -> None:
    accounts = AccountService(store, api_token="from-the-environment", hasher=FAST_HASHER)
    assert accounts.anything_set_up()
    assert accounts.token_name("from-the-environment") == ENV_TOKEN_NAME
    assert accounts.token_name("from-the-environmenT") is None
    assert not AccountService(store, api_token="").anything_set_up()


def test_anything_set_up_follows_passwords_and_tokens(accounts: AccountService) -> None:
    assert not accounts.anything_set_up()
    accounts.create_token("phone")
    assert accounts.anything_set_up()
    accounts.revoke_token("phone")
    assert not accounts.anything_set_up()
    accounts.set_password("a good password")
    assert accounts.anything_set_up()


def test_failures_are_limited_per_client_then_allowed_after_the_window(
    accounts: AccountService, clock: Clock
) -> None:
    accounts.set_password("the right one")
    for attempt in range(SIGNIN_FAILURE_LIMIT):
        assert accounts.sign_in("10.0.0.1", f"wrong {attempt}") == SignInOutcome(None)
        clock.advance(seconds=5)
    # 25 s after the first failure: refused, even with the right password.
    refused = accounts.sign_in("10.0.0.1", "the right one")
    assert refused == Refused(retry_after=35)
    # Refusals do not count as failures, and other clients are not affected.
    assert isinstance(accounts.sign_in("10.0.0.1", "wrong again"), Refused)
    assert accounts.sign_in("10.0.0.2", "the right one").session_stamp is not None

    clock.advance(seconds=35)  # the first failure has left the window
    assert accounts.sign_in("10.0.0.1", "the right one").session_stamp is not None
    # Success forgets the client's failures: five more tries.
    for _ in range(SIGNIN_FAILURE_LIMIT):
        assert accounts.sign_in("10.0.0.1", "wrong") == SignInOutcome(None)
    assert isinstance(accounts.sign_in("10.0.0.1", "wrong"), Refused)
    clock.advance(seconds=SIGNIN_WINDOW.total_seconds())
    assert accounts.sign_in("10.0.0.1", "wrong") == SignInOutcome(None)


def test_signing_in_without_a_password_counts_as_a_failure(
    accounts: AccountService, clock: Clock
) -> None:
    for _ in range(SIGNIN_FAILURE_LIMIT):
        assert accounts.sign_in("10.0.0.1", "") == SignInOutcome(None)
    assert accounts.sign_in("10.0.0.1", "") == Refused(retry_after=60)


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, "unknown"),
        ("", "unknown"),
        ("unix-socket", "unix-socket"),
    ],
)
def test_clients_are_counted_by_address_or_ipv6_network(host: str | None, key: str) -> None:
    assert client_key(host) == key


def test_the_session_key_is_made_once_unless_configured(accounts: AccountService) -> None:
    made = accounts.session_secret(None)
    assert len(made) >= 32
    assert accounts.session_secret(None) == made
    assert accounts.session_secret("configured-" + "k" * 32) == "configured-" + "k" * 32
