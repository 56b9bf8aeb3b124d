"""/healthz: 200 when the database answers and every migration is applied, else 503."""

import pytest

from designmall.core import checks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def not_yet_checked():
    checks._all_applied.clear()
    yield
    checks._all_applied.clear()


def test_a_migrated_database_is_healthy(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": "ok", "migrations": "ok"}


def test_pending_migrations_make_the_site_unhealthy(client, monkeypatch):
    monkeypatch.setattr(checks, "_pending_migrations", lambda connection: ["catalog.0099"])

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["migrations"] == "1 pending"


def test_once_all_are_applied_the_migrations_are_not_read_again(client, monkeypatch):
    client.get("/healthz")

    def read_again(connection):
        raise AssertionError("migrations read again")

    monkeypatch.setattr(checks, "_pending_migrations", read_again)
    assert client.get("/healthz").status_code == 200
