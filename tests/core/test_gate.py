"""A web process runs at most WEB_ACTIVE_REQUESTS requests at once; what waits holds nothing."""

from __future__ import annotations

import io
import threading

import pytest

from designmall.core.gate import ActiveRequestLimit

WAIT = 5


def start_response(status, headers, exc_info=None):
    return lambda data: None


def environ(body: bytes = b"", *, stream=None) -> dict:
    found = {"REQUEST_METHOD": "POST" if body else "GET", "PATH_INFO": "/"}
    if body:
        found["CONTENT_LENGTH"] = str(len(body))
        found["wsgi.input"] = stream or io.BytesIO(body)
    return found


def in_thread(target, *args) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


class Holder:
    """An app whose requests stay inside until released, counting how many are inside."""

    def __init__(self):
        self.inside = 0
        self.most_inside = 0
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.bodies: list[bytes] = []

    def __call__(self, env, start_response):
        with self.lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        if "wsgi.input" in env:
            self.bodies.append(env["wsgi.input"].read(int(env["CONTENT_LENGTH"])))
        self.entered.release()
        self.release.wait(WAIT)
        with self.lock:
            self.inside -= 1
        start_response("200 OK", [])
        return [b"ok"]


class SlowBody(io.BytesIO):
    """A request body whose reading is announced."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.was_read = threading.Event()

    def read(self, size=-1):
        found = super().read(size)
        self.was_read.set()
        return found


def test_no_more_than_the_limit_run_at_once():
    app = Holder()
    limited = ActiveRequestLimit(app, 2)
    threads = [in_thread(limited, environ(), start_response) for _ in range(6)]
    for _ in range(2):
        assert app.entered.acquire(timeout=WAIT)

    assert not app.entered.acquire(timeout=0.2)  # the other four wait
    app.release.set()
    for thread in threads:
        thread.join(WAIT)
    assert app.most_inside == 2
    assert app.entered.acquire(timeout=0)  # ... and all ran in the end


def test_a_waiting_request_has_read_its_body_already():
    app = Holder()
    limited = ActiveRequestLimit(app, 1)
    in_thread(limited, environ(), start_response)
    assert app.entered.acquire(timeout=WAIT)  # the one place is taken
    body = SlowBody(b'{"quantity": 1}')

    waiting = in_thread(limited, environ(b'{"quantity": 1}', stream=body), start_response)

    assert body.was_read.wait(WAIT)
    assert app.inside == 1
    app.release.set()
    waiting.join(WAIT)
    assert app.bodies == [b'{"quantity": 1}']


def test_a_body_too_big_to_hold_runs_without_waiting():
    app = Holder()
    limited = ActiveRequestLimit(app, 1, body_bytes=8)
    in_thread(limited, environ(), start_response)
    assert app.entered.acquire(timeout=WAIT)

    in_thread(limited, environ(b"a large image"), start_response)

    assert app.entered.acquire(timeout=WAIT)
    assert app.inside == 2
    app.release.set()


def test_a_streaming_response_leaves_its_place_when_the_view_returns_it():
    ticks = threading.Event()

    def stream_app(env, start_response):
        start_response("200 OK", [])
        if env["PATH_INFO"] == "/stream":

            def events():
                yield b"data: 1\n\n"
                ticks.wait(WAIT)
                yield b"data: 2\n\n"

            return events()
        return [b"page"]

    limited = ActiveRequestLimit(stream_app, 1)
    stream = iter(limited({**environ(), "PATH_INFO": "/stream"}, start_response))
    assert next(stream) == b"data: 1\n\n"  # the stream is open, its next event pending

    assert list(limited(environ(), start_response)) == [b"page"]
    ticks.set()
    assert next(stream) == b"data: 2\n\n"


def test_a_request_that_fails_leaves_its_place():
    def failing(env, start_response):
        raise RuntimeError("boom")

    limited = ActiveRequestLimit(failing, 1)
    with pytest.raises(RuntimeError):
        limited(environ(), start_response)

    assert limited.places.acquire(timeout=1)


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError):
        ActiveRequestLimit(lambda env, sr: [], 0)
