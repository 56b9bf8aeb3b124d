"""At most a few requests of a web process run the site's code at once; the others wait.

A gthread worker gives each connection with a request in flight a thread of its own
(16 by default, so that live lot pages, each holding one for minutes, leave room for
everything else). But a process's threads share one interpreter lock, and a thread
coming back from a database or cache round trip waits for it behind every busy
neighbour, up to 5 ms each time (the switch interval). With eight requests running
at once, a page needing 2 ms of Python took tens of milliseconds at the tail. Admitting
``WEB_ACTIVE_REQUESTS`` at a time (the others wait on a semaphore, which costs them
nothing of the lock) keeps each request close to its own work; see
docs/BENCHMARKS.md, session 4.

What must not hold a place while doing no work doesn't:

- a request's body is read before it waits for a place, so a client sending slowly
  holds none; a body over ``body_bytes`` (an image upload) is not limited at all;
- a streaming response (a live lot page) leaves its place as soon as the view returns
  it: its stream is sent outside.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable

BODY_BYTES = 256 * 1024


class ActiveRequestLimit:
    """WSGI middleware: ``app`` runs at most ``limit`` requests at once."""

    def __init__(self, app: Callable, limit: int, *, body_bytes: int = BODY_BYTES):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.app = app
        self.places = threading.BoundedSemaphore(limit)
        self.body_bytes = body_bytes

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not self._read_body(environ):
            return self.app(environ, start_response)
        with self.places:
            return self.app(environ, start_response)

    def _read_body(self, environ: dict) -> bool:
        """Read the request's body into memory unless it is bigger than ``body_bytes``;
        whether the request can wait for a place (False: it runs unlimited)."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return True  # Django reads no body then
        if length <= 0:
            return True
        if length > self.body_bytes:
            return False
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length))
        return True
