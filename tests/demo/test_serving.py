"""``designmall serve`` and the process handling behind ``designmall demo``."""

import os
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from designmall.demo.management.commands import serve as serve_command
from designmall.demo.serving import (
    ProcessGroup,
    gunicorn_argv,
    port_is_free,
    workers_listen_on_their_own_sockets,
)


@pytest.fixture
def exec_calls(monkeypatch):
    """Record the command ``serve`` would turn into instead of becoming gunicorn."""
    calls = []
    monkeypatch.setattr(os, "execv", lambda path, argv: calls.append(argv))
    # Whatever else runs on this machine (a demo on 8000, say) is not these tests' business.
    monkeypatch.setattr(serve_command, "port_is_free", lambda host, port: True)
    for name in (
        "PORT",
        "WEB_CONCURRENCY",
        "WEB_THREADS",
        "ACCESS_LOG",
        "WEB_KEEPALIVE_SECONDS",
        "SERVER",
    ):
        monkeypatch.setenv(name, "")  # recorded, so what serve sets is undone afterwards
        monkeypatch.delenv(name)
    return calls


def _option(argv, name):
    return argv[argv.index(name) + 1]


def test_serve_runs_gunicorn_threaded_on_localhost_8000_by_default(exec_calls):
    call_command("serve")
    argv = exec_calls[0]
    assert argv[:4] == [sys.executable, "-m", "gunicorn", "designmall.wsgi:application"]
    assert _option(argv, "--bind") == "127.0.0.1:8000"
    assert (_option(argv, "--workers"), _option(argv, "--threads")) == ("2", "16")
    assert _option(argv, "--worker-class") == "designmall.core.httpworker.ShapedErrorsThreadWorker"
    assert "--access-logfile" not in argv


def test_serve_keeps_idle_connections_longer_than_a_proxy_in_front_does(exec_calls, monkeypatch):
    call_command("serve")
    assert _option(exec_calls[0], "--keep-alive") == "75"
    monkeypatch.setenv("WEB_KEEPALIVE_SECONDS", "120")
    call_command("serve")
    assert _option(exec_calls[1], "--keep-alive") == "120"


def test_serve_limits_what_gunicorn_reads_before_django(exec_calls):
    call_command("serve")
    argv = exec_calls[0]
    assert _option(argv, "--limit-request-line") == "4094"
    assert _option(argv, "--limit-request-field_size") == "8190"


def test_the_worker_is_gunicorns_threaded_worker():
    from gunicorn.workers.gthread import ThreadWorker

    from designmall.core.httpworker import ShapedErrorsThreadWorker

    assert issubclass(ShapedErrorsThreadWorker, ThreadWorker)


def test_serve_takes_port_workers_and_threads_from_the_environment(exec_calls, monkeypatch):
    monkeypatch.setenv("PORT", "8765")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("WEB_THREADS", "8")
    monkeypatch.setenv("ACCESS_LOG", "1")
    call_command("serve")
    argv = exec_calls[0]
    assert _option(argv, "--bind") == "127.0.0.1:8765"
    assert (_option(argv, "--workers"), _option(argv, "--threads")) == ("3", "8")
    assert _option(argv, "--access-logfile") == "-"


def test_server_granian_serves_the_same_app_in_wsgi_mode_with_as_many_threads(
    exec_calls, monkeypatch
):
    monkeypatch.setenv("SERVER", "granian")
    call_command("serve", bind="127.0.0.1:8765", workers=3, threads=8)
    argv = exec_calls[0]
    assert argv[:4] == [sys.executable, "-m", "granian", "designmall.wsgi:application"]
    assert _option(argv, "--interface") == "wsgi"
    assert (_option(argv, "--host"), _option(argv, "--port")) == ("127.0.0.1", "8765")
    assert (_option(argv, "--workers"), _option(argv, "--blocking-threads")) == ("3", "8")


def test_an_explicit_bind_wins_over_the_port(exec_calls, monkeypatch):
    monkeypatch.setenv("PORT", "8765")
    call_command("serve", bind="0.0.0.0:9000")
    assert _option(exec_calls[0], "--bind") == "0.0.0.0:9000"


def test_stopping_the_group_ends_every_child():
    group = ProcessGroup()
    sleepers = [group.start(n, [sys.executable, "-c", "import time; time.sleep(60)"]) for n in "ab"]
    assert group.exited() is None
    group.stop(grace=10)
    assert all(p.returncode is not None for p in sleepers)


def test_the_group_reports_a_child_that_exited_on_its_own():
    group = ProcessGroup()
    group.start("quitter", [sys.executable, "-c", "raise SystemExit(3)"])
    group.processes["quitter"].wait()
    assert group.exited() == ("quitter", 3)


def test_a_port_in_use_is_not_free():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert not port_is_free("127.0.0.1", taken.getsockname()[1])


def test_several_workers_listen_on_sockets_of_their_own_so_connections_spread():
    if not workers_listen_on_their_own_sockets():
        pytest.skip("this gunicorn shares the master's socket under --reuse-port")
    two = gunicorn_argv(bind="127.0.0.1:8000", workers=2, threads=8, access_log=False)
    one = gunicorn_argv(bind="127.0.0.1:8000", workers=1, threads=8, access_log=False)
    assert "--reuse-port" in two
    assert "--reuse-port" not in one


def test_serve_refuses_a_port_in_use_rather_than_share_it(exec_calls, monkeypatch):
    if not workers_listen_on_their_own_sockets():
        pytest.skip("no --reuse-port here: gunicorn itself refuses a port in use")
    monkeypatch.setattr(serve_command, "port_is_free", lambda host, port: False)
    with pytest.raises(CommandError, match=r"8000 on 127\.0\.0\.1 is in use"):
        call_command("serve")
    assert exec_calls == []
