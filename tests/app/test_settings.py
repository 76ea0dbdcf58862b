"""Settings come from LINKVAULT_* variables (tests/test_docs.py checks each is documented)."""

from __future__ import annotations

from app.settings import Settings


def test_settings_come_from_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("LINKVAULT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LINKVAULT_CONCURRENCY", "3")
    monkeypatch.setenv("LINKVAULT_ALLOW_PRIVATE", "true")
    settings = Settings()
    config = settings.fetch_config()
    assert settings.data_dir == tmp_path
    assert config.concurrency == 3
    assert config.allow_private is True
    assert settings.resolved_database_url.endswith("linkvault.db")
