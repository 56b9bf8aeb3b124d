"""``designmall serve`` itself: no request is dropped, and what gunicorn refuses before
Django answers in the API's error shape.

64 keep-alive clients against ``designmall serve``.

Each client keeps one HTTP/1.1 connection open and sends page and API requests (GETs and
JSON POSTs) one after the other, sometimes after a pause, as a browser, a mobile app or a
proxy's connection pool does between two requests. A request whose connection closes
without an answer is dropped; there must be none, and no answer may be a 5xx.

The pauses are what made connections drop: gunicorn closed a connection idle for its
keep-alive timeout (2 s by default) while the client, which had not seen the close yet,
was sending its next request on it. The server now keeps idle connections for longer
than a client or a proxy in front keeps them (``WEB_KEEPALIVE_SECONDS``).
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from designmall.demo.serving import wait_until_healthy

CLIENTS = 64
REQUESTS = 2000
# One request of each client comes after a pause longer than gunicorn's old keep-alive
# timeout (2 s) and its one-second sweep: enough for the old server to have closed the
# connection, far shorter than the new timeout.
PAUSES_PER_CLIENT = 1
PAUSE_SECONDS = (3.2, 3.6)

GETS = [
    "/",
    "/search?q=%E6%A4%85%E5%AD%90",
    "/search?q=chair&page=2",
    "/events/",
    "/auctions/",
    "/login/",
    "/p/p_0000000000000000/",
    "/healthz",
    "/api/v1/products?q=lamp",
    "/api/v1/categories",
    "/api/v1/designers",
    "/api/v1/events/programme",
    "/api/v1/auctions/lots",
    "/api/v1/products/p_0000000000000000",
    "/static/storefront/site.css",
]
POSTS = [
    ("/api/v1/cart/quote", {"lines": []}),
    ("/api/v1/auth/tokens", {"identifier": "nobody@example.com", "password": "x", "name": "t"}),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``designmall serve`` on a fresh SQLite database, its own port and var/."""
    tmp_path = tmp_path_factory.mktemp("served")
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "TEST_DATABASE"))
    }
    port = _free_port()
    environ.update(DESIGNMALL_VAR=str(tmp_path), PORT=str(port), DEBUG="false", HTTPS="false")
    designmall = [sys.executable, "-m", "designmall.cli"]
    subprocess.run([*designmall, "migrate", "-v0"], env=environ, check=True, timeout=180)
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [*designmall, "serve", "--workers", "2"],
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert wait_until_healthy(f"http://127.0.0.1:{port}/healthz", process=process, timeout=60)
        yield port, tmp_path / "serve.log"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


class Client(threading.Thread):
    """One keep-alive connection, its share of the requests, in order."""

    def __init__(self, port: int, n: int, requests: list, pauses: set[int]):
        super().__init__(daemon=True)
        self.port, self.n, self.requests, self.pauses = port, n, requests, pauses
        self.statuses: Counter[int] = Counter()
        self.dropped: list[str] = []

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def run(self) -> None:
        connection = self._connect()
        for i, (method, path, body) in enumerate(self.requests):
            if i in self.pauses:
                time.sleep(random.Random(self.n * 1000 + i).uniform(*PAUSE_SECONDS))
            headers = {"Connection": "keep-alive", "Accept-Language": "zh-CN"}
            payload = None
            if body is not None:
                payload = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                response.read()
                self.statuses[response.status] += 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = self._connect()
            except (OSError, http.client.HTTPException) as exc:
                # Closed (or reset) without an answer: dropped. Carry on on a new connection.
                self.dropped.append(f"{method} {path} after {i} requests: {exc!r}")
                connection.close()
                connection = self._connect()
        connection.close()


def test_64_keep_alive_clients_lose_no_request(server):
    port, log = server
    plan = random.Random(2026)
    requests = []
    for i in range(REQUESTS):
        if i % 5 == 4:
            path, body = plan.choice(POSTS)
            requests.append(("POST", path, body))
        else:
            requests.append(("GET", plan.choice(GETS), None))
    clients = []
    for n in range(CLIENTS):
        mine = requests[n::CLIENTS]
        pauses = set(plan.sample(range(1, len(mine)), PAUSES_PER_CLIENT))
        clients.append(Client(port, n, mine, pauses))
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=240)
    assert not any(client.is_alive() for client in clients)

    statuses = sum((client.statuses for client in clients), Counter())
    dropped = [line for client in clients for line in client.dropped]
    server_log = Path(log).read_text()
    report = "\n".join(dropped[:20]) + "\n" + server_log[-3000:]
    assert dropped == [], f"{len(dropped)} dropped:\n{report}"
    assert sum(statuses.values()) == REQUESTS
    assert not [s for s in statuses if s >= 500], (statuses, server_log[-3000:])


# --- what gunicorn refuses before Django --------------------------------------------------


def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


def _assert_error_shape(answer, status: int, code: str) -> None:
    got, headers, body = answer
    assert got == status, body
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert error["message"]


def test_a_request_line_over_4_kib_is_414_in_the_error_shape(server):
    port, _log = server
    path = "/api/v1/products?q=" + "x" * 4200
    answer = _raw(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    _assert_error_shape(answer, 414, "request_line_too_long")


def test_a_header_over_8_kib_is_431_in_the_error_shape(server):
    port, _log = server
    request = f"GET /api/v1/products HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {'c' * 9000}\r\n\r\n"
    _assert_error_shape(_raw(port, request.encode()), 431, "headers_too_large")


def test_too_many_headers_is_431_in_the_error_shape(server):
    port, _log = server
    many = "".join(f"X-Header-{n}: {n}\r\n" for n in range(150))
    request = f"GET /api/v1/products HTTP/1.1\r\nHost: 127.0.0.1\r\n{many}\r\n"
    _assert_error_shape(_raw(port, request.encode()), 431, "headers_too_large")


def test_a_request_that_is_not_http_is_400_in_the_error_shape(server):
    port, _log = server
    _assert_error_shape(_raw(port, b"HELLO THERE\r\n\r\n"), 400, "bad_request")


def test_a_request_within_the_limits_reaches_django(server):
    port, _log = server
    path = "/api/v1/categories?padding=" + "x" * 3000
    status, headers, _body = _raw(
        port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    )
    assert status == 200
    assert "content-security-policy" in headers
