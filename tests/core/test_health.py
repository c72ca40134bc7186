import pytest
from django.db import DatabaseError, connection

# Not `postgres`: `SELECT 1`, a broken cursor and static error pages read the same on both.
pytestmark = pytest.mark.django_db


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_healthz_503_when_the_database_fails(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise DatabaseError("database is down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"


def test_sqlite_runs_in_wal_with_immediate_transactions(settings):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in settings.DATABASES["default"]["OPTIONS"]["init_command"]


def test_styled_error_pages_render_without_the_database(rf, monkeypatch):
    from masthead.core.views import page_not_found, server_error

    def broken_cursor(*args, **kwargs):
        raise DatabaseError("database is down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert page_not_found(rf.get("/x"), None).status_code == 404


def test_media_is_served_on_one_machine(client):
    from tests import factories as f

    img = f.image("Served")
    response = client.get(img.file.url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
