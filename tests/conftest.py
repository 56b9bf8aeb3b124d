import fcntl
import tempfile
from pathlib import Path

import pytest

from designmall.core import clock


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test: its own media folder, an empty in-process cache, a real clock."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()
    clock.reset()
    yield
    clock.reset()


# Concurrency tests open up to 32 connections each, and PostgreSQL allows 100 for the whole
# machine: one such test runs at a time, across xdist workers and concurrent test runs.
PG_CONCURRENCY_LOCK = Path(tempfile.gettempdir()) / "designmall-pg-concurrency.lock"


@pytest.fixture
def on_postgres():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    with PG_CONCURRENCY_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def pytest_terminal_summary(terminalreporter):
    """Browser tests skipped for want of Chromium are said so at the end, not only as 's'."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "needs Chromium" in str(report.longrepr)
    ]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} browser tests were skipped: no Chromium at /usr/bin/chromium "
            "(`make chromium` installs it; `make test` does so itself)",
            yellow=True,
            bold=True,
        )
