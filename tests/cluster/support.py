"""What the cluster tests share: whether the servers are here, HTTP to the cluster, and
Django run against the cluster's own database in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from designmall.demo.cluster import _pg_bin

REPO = Path(__file__).resolve().parents[2]


def missing_servers() -> str | None:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        return "nginx is not installed (make servers)"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    try:
        _pg_bin("initdb")
    except RuntimeError as exc:
        return str(exc)
    return None


_HELPERS: dict[int, subprocess.Popen] = {}


def on_cluster(cluster, function: str, **kwargs):
    """``tests.cluster.on_primary.<function>(**kwargs)`` run by Django pointed at the
    cluster's primary (and its Redis and var folder), in a subprocess of its own that stays
    for the next call (``close_helpers``); its JSON answer."""
    helper = _HELPERS.get(id(cluster))
    if helper is None or helper.poll() is not None:
        env = {**cluster.env(), "DJANGO_SETTINGS_MODULE": "designmall.settings"}
        helper = subprocess.Popen(
            [sys.executable, "-m", "tests.cluster.on_primary"],
            env=env,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(cluster.logs / "on_primary.log", "ab"),  # noqa: SIM115
            text=True,
        )
        _HELPERS[id(cluster)] = helper
    helper.stdin.write(json.dumps({"function": function, "kwargs": kwargs}) + "\n")
    helper.stdin.flush()
    line = helper.stdout.readline()
    if not line:
        log = (cluster.logs / "on_primary.log").read_text(errors="replace")
        raise AssertionError(f"{function}: the helper exited\n{log[-3000:]}")
    answer = json.loads(line)
    if "error" in answer:
        raise AssertionError(f"{function} failed:\n{answer['error']}")
    return answer["answer"]


def close_helpers(cluster) -> None:
    helper = _HELPERS.pop(id(cluster), None)
    if helper is not None:
        helper.stdin.close()
        try:
            helper.wait(timeout=30)
        except subprocess.TimeoutExpired:
            helper.kill()
            helper.wait()
        helper.stdout.close()


def call(method: str, url: str, *, token: str | None = None, body=None, headers=None):
    """One JSON request: (status, the answer's JSON or None, headers)."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw, answer_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, answer_headers = error.code, error.read(), error.headers
    try:
        return status, json.loads(raw), dict(answer_headers)
    except ValueError:
        return status, None, dict(answer_headers)


def psql(cluster, which: str, sql: str) -> str:
    """``sql`` run by psql on the cluster's ``primary`` or ``replica``; its output."""
    argv = [_pg_bin("psql"), "-h", "127.0.0.1", "-p", str(cluster.ports[which]), "-U", "postgres"]
    return subprocess.run(
        [*argv, "-d", "designmall", "-Atc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()
