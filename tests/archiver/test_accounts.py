"""The sign-in records (`Store.accounts`) on SQLite and PostgreSQL: one owner row, tokens by
hash with unique names, failures per client in a window, secrets made once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archiver import Store, TokenNameTaken

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_one_owner_password_replaced_in_place(store: Store) -> None:
    accounts = store.accounts
    assert accounts.password() is None and accounts.session_stamp() is None
    accounts.set_password("hash-1", "stamp-1", NOW)
    accounts.set_password("hash-2", "stamp-2", NOW + timedelta(hours=1))
    stored = accounts.password()
    assert stored is not None
    assert (stored.password_hash, stored.session_stamp) == ("hash-2", "stamp-2")
    assert stored.changed_at == NOW + timedelta(hours=1)
    assert accounts.session_stamp() == "stamp-2"
    assert accounts.has_credentials()


def test_tokens_by_hash_with_unique_names(store: Store) -> None:
    accounts = store.accounts
    assert not accounts.has_credentials()
    accounts.add_token("phone", "a" * 64, NOW)
    accounts.add_token("laptop", "b" * 64, NOW + timedelta(seconds=1))
    with pytest.raises(TokenNameTaken):
        accounts.add_token("phone", "c" * 64, NOW)
    assert accounts.has_credentials()
    assert [token.name for token in accounts.tokens()] == ["phone", "laptop"]

    found = accounts.token_named_by_hash("a" * 64)
    assert found is not None and found[1:] == ("phone", None)
    accounts.mark_token_used(found[0], NOW + timedelta(minutes=5))
    assert accounts.tokens()[0].last_used_at == NOW + timedelta(minutes=5)
    assert accounts.token_named_by_hash("c" * 64) is None

    assert accounts.remove_token("phone") is True
    assert accounts.remove_token("phone") is False
    assert accounts.token_named_by_hash("a" * 64) is None
    assert [token.name for token in accounts.tokens()] == ["laptop"]


def test_failures_are_counted_per_client_and_old_ones_forgotten(store: Store) -> None:
    accounts = store.accounts
    window = timedelta(minutes=1)
    first = accounts.add_signin_failure("10.0.0.1", NOW, keep=window)
    accounts.add_signin_failure("10.0.0.1", NOW + timedelta(seconds=10), keep=window)
    accounts.add_signin_failure("10.0.0.2", NOW + timedelta(seconds=20), keep=window)
    assert len(accounts.signin_failures_after("10.0.0.1", NOW - window)) == 2
    # Strictly after: a failure a whole window ago has left it.
    assert accounts.signin_failures_after("10.0.0.1", NOW) == [NOW + timedelta(seconds=10)]
    accounts.remove_signin_failure(first)
    assert len(accounts.signin_failures_after("10.0.0.1", NOW - window)) == 1

    # A failure two minutes later forgets everyone's failures older than the window.
    accounts.add_signin_failure("10.0.0.3", NOW + timedelta(minutes=2), keep=window)
    assert accounts.signin_failures_after("10.0.0.1", NOW - window) == []
    assert accounts.signin_failures_after("10.0.0.2", NOW - window) == []

    accounts.clear_signin_failures("10.0.0.3")
    assert accounts.signin_failures_after("10.0.0.3", NOW - window) == []


def test_a_secret_is_made_once(store: Store) -> None:
    made: list[str] = []

    def make() -> str:
        made.append(f"secret-{len(made)}")
        return made[-1]

    assert store.accounts.secret("session", make, NOW) == "secret-0"
    assert store.accounts.secret("session", make, NOW) == "secret-0"
    assert made == ["secret-0"]
    assert store.accounts.secret("other", make, NOW) == "secret-1"


def test_processes_making_the_secret_at_once_agree_on_the_first_stored(store: Store) -> None:
    def make_while_another_process_stores_its_own() -> str:
        # Another process got there between this one's read and its write.
        assert store.accounts.secret("session", lambda: "theirs", NOW) == "theirs"
        return "ours"

    assert store.accounts.secret("session", make_while_another_process_stores_its_own, NOW) == (
        "theirs"
    )
    assert store.accounts.secret("session", lambda: "later", NOW) == "theirs"
