"""An index that cannot answer is a 503 on every route that reads it, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.main import create_app
from tests.app._archive import Archive, make_settings


def test_a_broken_index_is_a_503_everywhere(fresh_archive: Archive) -> None:
    app = create_app(make_settings(fresh_archive.data_dir))
    with TestClient(app) as client:
        (fresh_archive.data_dir / "index" / "CURRENT").write_text("{damaged")
        for path in ("/api/stats", "/api/search?q=interpreter"):
            response = client.get(path)
            assert response.status_code == 503, (path, response.text)
            assert "linkvault reindex" in response.json()["detail"]
        page = client.get("/?q=interpreter", headers={"Accept": "text/html"})
        assert page.status_code == 503
        assert "linkvault reindex" in page.text
        assert client.get("/healthz").status_code == 503
