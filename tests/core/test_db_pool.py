"""DATABASE_POOL_SIZE: a process's threads share at most that many PostgreSQL connections."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

_SIXTEEN_THREADS = """
import threading, django
django.setup()
from django.db import connection, connections

seen = set()
lock = threading.Lock()
barrier = threading.Barrier(16)

def work():
    barrier.wait()
    for _ in range(20):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), pg_sleep(0.005)")
            with lock:
                seen.add(cursor.fetchone()[0])
    connections.close_all()

threads = [threading.Thread(target=work) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(len(seen))
"""


def _backends_used(pool_size: str) -> int:
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {
        **os.environ,
        "DATABASE_URL": f"{url}/{db['NAME']}",
        "DATABASE_POOL_SIZE": pool_size,
        "DJANGO_SETTINGS_MODULE": "designmall.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", _SIXTEEN_THREADS],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip().splitlines()[-1])


def test_sixteen_threads_share_a_pool_of_three_connections(on_postgres):
    assert _backends_used("3") <= 3


def test_without_a_pool_each_thread_has_its_own_connection(on_postgres):
    assert _backends_used("0") == 16
