"""The Prometheus endpoint (core/metrics.py): only for its scrapers, in the text format;
requests, statements and the job queue measured; several worker processes summed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from designmall.core import clock, metrics
from designmall.core.gunicornhooks import prepare_multiproc_dir
from designmall.core.jobs import enqueue
from designmall.demo.cluster import render_nginx_site

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def samples(body: bytes) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture(autouse=True)
def _single_process(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)


# --- who may read it ------------------------------------------------------------------------


def test_an_outside_address_gets_not_found(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 404
    assert b"designmall_" not in response.content


def test_loopback_reads_the_metrics_in_the_prometheus_text_format(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    names = {name for name, _labels in samples(response.content)}
    assert {"designmall_jobs_open", "designmall_orders_created_total"} <= names


def test_an_allowed_network_may_scrape(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_the_bearer_token_lets_a_scraper_in_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token", **outside)
    ).status_code == 200
    assert (client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **outside)).status_code == 404


def test_no_token_set_means_no_token_accepted(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 404


def test_a_client_behind_our_proxy_is_judged_by_its_own_address(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 404


def test_the_shipped_nginx_site_refuses_metrics_from_outside(tmp_path):
    site = render_nginx_site(
        listen="8081",
        upstreams=["127.0.0.1:8000"],
        static_root=tmp_path,
        media_root=tmp_path,
        access_log="off",
    )
    block = site.split("location = /metrics", 1)[1].split("}", 1)[0]
    assert "return 404" in block and "proxy_pass" not in block


def test_nginx_with_the_shipped_site_answers_metrics_404_without_asking_a_node(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (make servers)")
    port, dead_node = _free_port(), _free_port()
    site = tmp_path / "site.conf"
    site.write_text(
        render_nginx_site(
            listen=f"127.0.0.1:{port}",
            upstreams=[f"127.0.0.1:{dead_node}"],  # nothing there: a proxied path is 502
            static_root=tmp_path,
            media_root=tmp_path,
            access_log=str(tmp_path / "access.log"),
        )
    )
    temp = "".join(
        f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ {temp} uwsgi_temp_path {tmp_path}/u; scgi_temp_path {tmp_path}/s;"
        f" include {site}; }}\n"
    )
    process = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"]
    )
    try:
        statuses = {}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(statuses) < 2:
            for path in ("/metrics", "/healthz"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
                except urllib.error.HTTPError as error:
                    statuses[path] = error.code
                except OSError:
                    time.sleep(0.1)
        assert statuses == {"/metrics": 404, "/healthz": 502}
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- what it measures -----------------------------------------------------------------------


def test_a_request_is_counted_and_timed_by_its_view_method_and_status_class(client):
    labels = {"view": "healthz", "method": "GET", "status": "2xx"}
    before = value("designmall_http_request_duration_seconds_count", **labels)
    assert client.get("/healthz").status_code == 200
    assert value("designmall_http_request_duration_seconds_count", **labels) == before + 1
    assert value("designmall_http_request_duration_seconds_sum", **labels) > 0


def test_a_path_no_view_answers_is_one_label_whatever_the_path(client):
    labels = {"view": metrics.UNRESOLVED_VIEW, "method": "GET", "status": "4xx"}
    before = value("designmall_http_request_duration_seconds_count", **labels)
    client.get("/no/such/page-1")
    client.get("/no/such/page-2")
    assert value("designmall_http_request_duration_seconds_count", **labels) == before + 2


def test_database_statements_are_timed_by_connection_alias():
    before = value("designmall_db_query_duration_seconds_count", database="default")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert value("designmall_db_query_duration_seconds_count", database="default") == before + 1


def test_the_queue_gauges_reflect_queued_and_due_jobs(client):
    now = clock.now()
    clock.set_frozen(now)
    enqueue("metrics.probe", run_at=now - timedelta(seconds=90))
    enqueue("metrics.probe", run_at=now - timedelta(seconds=30))
    enqueue("metrics.probe", run_at=now + timedelta(hours=1))
    found = samples(client.get("/metrics", REMOTE_ADDR="::1").content)
    assert found[("designmall_jobs_open", ())] == 3
    assert found[("designmall_jobs_due", ())] == 2
    assert found[("designmall_jobs_oldest_due_age_seconds", ())] == 90


def test_an_empty_queue_has_no_waiting_age(client):
    found = samples(client.get("/metrics", REMOTE_ADDR="127.0.0.1").content)
    assert found[("designmall_jobs_open", ())] == 0
    assert found[("designmall_jobs_oldest_due_age_seconds", ())] == 0


def test_live_streams_open_follow_the_stream_slots():
    from designmall.auctions.stream import slots

    before = value("designmall_live_streams_open")
    assert slots.take()
    assert value("designmall_live_streams_open") == before + 1
    slots.give_back()
    assert value("designmall_live_streams_open") == before


def test_a_counter_counts_on_commit_only(django_capture_on_commit_callbacks):
    from django.db import transaction

    before = value("designmall_orders_created_total")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            metrics.count_on_commit(metrics.ORDERS_CREATED, 5)
            raise RuntimeError("rolled back")
        metrics.count_on_commit(metrics.ORDERS_CREATED, 2)
    assert value("designmall_orders_created_total") == before + 2


# --- several worker processes -------------------------------------------------------------

_WORKER = """
from designmall.core import metrics
metrics.ORDERS_CREATED.inc({orders})
metrics.LIVE_STREAMS.inc({streams})
"""


def _run_worker(folder: Path, *, orders: int, streams: int) -> None:
    """A worker process that counts and exits (its files stay, as a gunicorn worker's do)."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    code = _WORKER.format(orders=orders, streams=streams)
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def _summed(folder: Path) -> CollectorRegistry:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))
    return registry


def test_a_scrape_sums_the_counters_of_every_worker_process(tmp_path, client, monkeypatch):
    folder = Path(prepare_multiproc_dir({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "m")}))
    _run_worker(folder, orders=2, streams=0)
    _run_worker(folder, orders=3, streams=0)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    found = samples(client.get("/metrics", REMOTE_ADDR="127.0.0.1").content)
    assert found[("designmall_orders_created_total", ())] == 5


def test_a_dead_workers_streams_no_longer_count(tmp_path):
    from prometheus_client import multiprocess

    folder = Path(prepare_multiproc_dir({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "m")}))
    _run_worker(folder, orders=1, streams=4)
    (gauge_file,) = folder.glob("gauge_livesum_*.db")
    pid = int(gauge_file.stem.rsplit("_", 1)[1])
    assert _summed(folder).get_sample_value("designmall_live_streams_open") == 4
    multiprocess.mark_process_dead(pid, str(folder))
    assert _summed(folder).get_sample_value("designmall_live_streams_open") in (None, 0)
    assert _summed(folder).get_sample_value("designmall_orders_created_total") == 1


def test_each_run_starts_from_an_empty_metrics_folder(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"stale")
    environ = {"PROMETHEUS_MULTIPROC_DIR": str(folder)}
    assert prepare_multiproc_dir(environ) == str(folder)
    assert list(folder.iterdir()) == []


def test_without_a_folder_each_run_makes_its_own():
    environ: dict[str, str] = {}
    made = prepare_multiproc_dir(environ)
    try:
        assert environ["PROMETHEUS_MULTIPROC_DIR"] == made and Path(made).is_dir()
    finally:
        os.rmdir(made)
