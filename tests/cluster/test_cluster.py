"""`designmall cluster`: nginx in front of two web nodes and two workers, over a PostgreSQL
primary with a streaming replica and Redis, started and stopped on loopback."""

import http.cookiejar
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from designmall.demo.cluster import Cluster, _pg_bin
from designmall.demo.serving import designmall_argv
from tests.cluster.support import missing_servers

pytestmark = pytest.mark.cluster


def _get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _nginx_log(cluster) -> list[dict]:
    lines = (cluster.logs / "nginx-access.log").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_requests_through_nginx_are_served_by_both_nodes(cluster):
    for _ in range(8):
        status, _headers, _body = _get(f"{cluster.url}/healthz")
        assert status == 200
    time.sleep(0.5)  # nginx writes its log line after the answer
    upstreams = {line["upstream"] for line in _nginx_log(cluster) if line["uri"] == "/healthz"}
    assert upstreams == {cluster.node_url(i).removeprefix("http://") for i in range(2)}


def test_a_request_id_is_passed_through_or_made(cluster):
    _status, headers, _ = _get(f"{cluster.url}/healthz", {"X-Request-ID": "req-from-client"})
    assert headers["X-Request-ID"] == "req-from-client"
    _status, headers, _ = _get(f"{cluster.url}/healthz")
    assert len(headers["X-Request-ID"]) == 32


def test_static_files_are_served_by_nginx_not_the_nodes(cluster):
    status, headers, _ = _get(f"{cluster.url}/static/deals.js")
    assert status == 200
    assert headers["Cache-Control"].startswith("max-age=") or "public" in headers["Cache-Control"]
    for index in range(2):
        assert "/static/deals.js" not in (cluster.logs / f"web{index}.log").read_text()


def test_a_body_over_the_upload_limit_is_refused_by_nginx(cluster):
    request = urllib.request.Request(
        f"{cluster.url}/api/v1/seller/products", data=b"x" * (13 * 1024 * 1024), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["error"]["code"] == "payload_too_large"


def test_the_replica_streams_what_the_primary_writes(cluster):
    def psql(port: int, sql: str) -> str:
        argv = [_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        return subprocess.run(
            [*argv, "-d", "designmall", "-Atc", sql], check=True, capture_output=True, text=True
        ).stdout.strip()

    assert psql(cluster.ports["primary"], "SELECT state FROM pg_stat_replication") == "streaming"
    psql(cluster.ports["primary"], "CREATE TABLE probe (n int); INSERT INTO probe VALUES (7)")
    deadline = time.monotonic() + 10
    seen = ""
    while time.monotonic() < deadline and seen != "7":
        try:
            seen = psql(cluster.ports["replica"], "SELECT n FROM probe")
        except subprocess.CalledProcessError:
            time.sleep(0.2)
    assert seen == "7"
    assert psql(cluster.ports["replica"], "SELECT pg_is_in_recovery()") == "t"


def test_stopping_leaves_no_process_behind():
    missing = missing_servers()
    if missing:
        pytest.skip(missing)
    running = Cluster(nodes=1, workers=1, node_threads=2, log=False)
    running.start()
    pids = [process.pid for process in running.processes.values()]
    folder = running.folder
    running.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not folder.exists()


def test_the_shipped_site_configuration_passes_nginx_own_check(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (make servers)")
    site = tmp_path / "site.conf"
    site.write_text(
        subprocess.run(
            [*designmall_argv("nginx_config"), "--upstream", "10.0.0.5:8000", "--listen", "8081"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    main = tmp_path / "nginx.conf"
    main.write_text(f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{ include {site}; }}\n")
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "server 10.0.0.5:8000;" in site.read_text()


# --- the read replica (core/replica.py) ------------------------------------------------


def _token() -> str:
    return "probe" + secrets.token_hex(5)


def _searched_on(cluster, token: str) -> set[str]:
    """Which servers ran the search for ``token`` (their statement logs)."""
    time.sleep(0.3)
    return {which for which in ("primary", "replica") if token in cluster.server_log(which)}


def _search(cluster, token: str, opener=None) -> int:
    opener = opener or urllib.request.build_opener()
    with opener.open(f"{cluster.url}/search?q={token}", timeout=20) as response:
        return response.status


def _reads_return_to_the_replica(cluster, *, within: float = 20, opener=None) -> bool:
    """Once it is back (restarted, caught up, and each process has looked again), searches
    read from the replica again."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        token = _token()
        _search(cluster, token, opener)
        if _searched_on(cluster, token) == {"replica"}:
            return True
        time.sleep(0.5)
    return False


def test_catalog_pages_read_from_the_replica(cluster):
    # Polled: right after another test's writes the replica may still be replaying them,
    # and a lagging replica rightly sends reads to the primary for a moment.
    for _ in range(4):  # both nodes
        assert _reads_return_to_the_replica(cluster)


def test_a_visitor_who_has_just_written_reads_from_the_primary(cluster):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{cluster.url}/login/", timeout=20).read()
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf, "email": "nobody@example.com", "password": "wrong"}
    ).encode()
    opener.open(
        urllib.request.Request(
            f"{cluster.url}/login/", data=form, headers={"Referer": f"{cluster.url}/login/"}
        ),
        timeout=20,
    ).read()
    assert any(cookie.name == "dm_primary" for cookie in jar)
    token = _token()
    _search(cluster, token, opener)
    assert _searched_on(cluster, token) == {"primary"}
    time.sleep(2.2)  # REPLICA_STICKY_SECONDS later
    assert _reads_return_to_the_replica(cluster, opener=opener)


def _psql(cluster, which: str, sql: str) -> str:
    argv = [_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(cluster.ports[which]), "-U", "postgres"]
    return subprocess.run(
        [*argv, "-d", "designmall", "-Atc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_a_lagging_replica_is_not_read(cluster):
    _psql(cluster, "replica", "SELECT pg_wal_replay_pause()")
    try:
        _psql(cluster, "primary", "CREATE TABLE IF NOT EXISTS lag_probe (n int)")
        _psql(cluster, "primary", "INSERT INTO lag_probe VALUES (1)")
        time.sleep(2.5)  # past REPLICA_MAX_LAG_SECONDS, and each process has looked again
        token = _token()
        assert _search(cluster, token) == 200
        assert _searched_on(cluster, token) == {"primary"}
    finally:
        _psql(cluster, "replica", "SELECT pg_wal_replay_resume()")
    assert _reads_return_to_the_replica(cluster)


def test_when_the_replica_is_down_pages_read_from_the_primary(cluster):
    cluster.stop_replica()
    try:
        for _ in range(4):  # both nodes, including a process that had a replica connection
            token = _token()
            assert _search(cluster, token) == 200
            assert _searched_on(cluster, token) == {"primary"}
    finally:
        cluster.start_replica()
    assert _reads_return_to_the_replica(cluster)


# --- Redis away and back (core/rediscache.py) ------------------------------------------

_SEED_STORE = """
import json, django
django.setup()
from bench.store import _buyers_with_tokens, _shop_with_skus
(sku,) = _shop_with_skus("cluster", skus=1, stock=10)
print(json.dumps({"sku": sku.public_id, "product": sku.product.public_id,
                  "tokens": _buyers_with_tokens(3)}))
"""


def _seed_store(cluster) -> dict:
    env = {**cluster.env(), "DJANGO_SETTINGS_MODULE": "designmall.settings"}
    out = subprocess.run(
        [sys.executable, "-c", _SEED_STORE],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def _checkout(cluster, store: dict, token: str, key: str) -> int:
    body = json.dumps({"lines": [{"sku": store["sku"], "quantity": 1}], "delivery": "pickup"})
    request = urllib.request.Request(
        f"{cluster.url}/api/v1/checkout",
        data=body.encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _redis_keys(cluster) -> int:
    import redis

    return redis.Redis.from_url(cluster.redis_url).dbsize()


def test_the_show_goes_on_while_redis_is_away_and_uses_it_again_when_back(cluster):
    store = _seed_store(cluster)
    product_page = f"{cluster.url}/p/{store['product']}/"
    assert _get(product_page)[0] == 200
    assert _redis_keys(cluster) > 0  # the product page's parts are kept in Redis

    cluster.stop_redis()
    try:
        for _ in range(4):  # both nodes
            assert _get(product_page)[0] == 200
            assert _get(f"{cluster.url}/")[0] == 200
        assert _checkout(cluster, store, store["tokens"][0], "away-1") == 201
    finally:
        cluster.start_redis()  # empty, as a restarted Redis that keeps nothing on disk

    assert _redis_keys(cluster) == 0
    time.sleep(1.2)  # REDIS_RETRY_SECONDS (1 here) after the last failure
    for _ in range(4):
        assert _get(product_page)[0] == 200
    assert _redis_keys(cluster) > 0  # used again, with no node restarted
    assert _checkout(cluster, store, store["tokens"][1], "back-1") == 201
