"""Every setting is documented, so a user can find it (as datasette checks its settings)."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [
        f"LINKVAULT_{name.upper()}"
        for name in Settings.model_fields
        if f"`LINKVAULT_{name.upper()}`" not in text
    ]
    assert missing == []


def test_every_documented_setting_exists() -> None:
    import re

    text = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"`LINKVAULT_([A-Z_]+)`", text))
    assert documented <= {name.upper() for name in Settings.model_fields}


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
