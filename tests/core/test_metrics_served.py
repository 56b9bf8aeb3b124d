"""``designmall serve`` with two worker processes: one scrape counts the requests both
served (prometheus-client's multiprocess mode, core/gunicornhooks.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from designmall.demo.serving import wait_until_healthy

REQUESTS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Two workers on a fresh SQLite database, metrics in a folder of the test's own."""
    tmp_path = tmp_path_factory.mktemp("served-metrics")
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "TEST_DATABASE"))
    }
    port = _free_port()
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"")  # a previous run's: cleared at start
    environ.update(
        DESIGNMALL_VAR=str(tmp_path),
        PORT=str(port),
        DEBUG="false",
        HTTPS="false",
        PROMETHEUS_MULTIPROC_DIR=str(folder),
    )
    designmall = [sys.executable, "-m", "designmall.cli"]
    subprocess.run([*designmall, "migrate", "-v0"], env=environ, check=True, timeout=180)
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [*designmall, "serve", "--workers", "2", "--threads", "4"],
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert wait_until_healthy(f"http://127.0.0.1:{port}/healthz", process=process, timeout=60)
        yield f"http://127.0.0.1:{port}", folder
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=20) as response:
        return response.read()


def _missing(url: str) -> None:
    try:
        _get(url)
    except urllib.error.HTTPError as error:
        assert error.code == 404


def _unresolved_count(base: str) -> float:
    """Requests no view answered: only this test makes them (the health polls of start-up
    may still be answered late, so they are not counted on)."""
    for family in text_string_to_metric_families(_get(f"{base}/metrics").decode()):
        for sample in family.samples:
            if (
                sample.name == "designmall_http_request_duration_seconds_count"
                and sample.labels.get("view") == "<unresolved>"
            ):
                return sample.value
    return 0.0


def test_every_scrape_counts_the_requests_of_both_workers(served):
    base, folder = served
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: _missing(f"{base}/no-such-page-{n}"), range(REQUESTS)))
    # Whichever worker answers the scrape, it sums both workers' files.
    assert [_unresolved_count(base) for _scrape in range(6)] == [REQUESTS] * 6
    assert len({path.stem.rsplit("_", 1)[1] for path in folder.glob("counter_*.db")}) == 2


def test_the_run_starts_from_an_emptied_metrics_folder(served):
    _base, folder = served
    assert not (folder / "counter_999999.db").exists()
