"""The design-week passport's plain rules, without Django: rotating booth codes and routes.

Rotating codes (TOTP-style). Time is cut into steps of ``STEP_SECONDS`` (30 s) since the
Unix epoch. A booth's code for a step is an HMAC-SHA256, under the server's secret, of the
booth's short code and the step number, cut to ``CODE_LENGTH`` characters of Crockford
base32 (40 bits). The booth's tablet shows the code of the current step in a QR code whose
URL carries the booth, the step and the code (``token``: ``<step>-<code>``). A scanned
token stamps the booth only when:

- it is well formed (``malformed`` otherwise);
- its code is the one the server signs for this booth and that step (``bad_code``: a code
  of another booth, or made up);
- its step is the current one or the one before (``expired``: a photo of an old or printed
  code; a step ahead of the server's clock is ``bad_code`` too: nobody can show it yet).

Accepting the previous step means a code shown for up to 60 s stamps: enough for a visitor
who scanned at the end of a step and whose phone is slow, too little to send a photo home.
A token used once by a visitor does not stamp twice (``replayed``): the stamp keeps the
step it came with, and one booth stamps a visitor once.

Routes. A route is a set of places (booths and events) and a number of stamps that
complete it (at most the number of its places; all of them when not set). A visitor's
progress is how many of the route's places their stamps cover.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

STEP_SECONDS = 30
CODE_LENGTH = 8
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_READS_AS = str.maketrans({"o": "0", "i": "1", "l": "1"})
TOKEN_MAX = 40


class Verdict(StrEnum):
    OK = "ok"
    MALFORMED = "malformed"
    BAD_CODE = "bad_code"
    EXPIRED = "expired"
    REPLAYED = "replayed"


def step_at(unix_seconds: float) -> int:
    """The step a moment (seconds since the epoch) falls in."""
    return int(unix_seconds // STEP_SECONDS)


def seconds_left(unix_seconds: float) -> int:
    """Whole seconds until the step of ``unix_seconds`` ends (1..STEP_SECONDS)."""
    return STEP_SECONDS - int(unix_seconds % STEP_SECONDS)


def booth_code_at(secret: bytes, booth: str, step: int) -> str:
    """The code the server signs for ``booth`` (its short code) in ``step``."""
    digest = hmac.new(secret, f"o2o.stamp:{booth}:{step}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:5], "big")
    return "".join(ALPHABET[(number >> shift) & 31] for shift in range(35, -1, -5))


def token_make(secret: bytes, booth: str, step: int) -> str:
    """The token a tablet's QR code carries for ``step``."""
    return f"{step}-{booth_code_at(secret, booth, step)}"


@dataclass(frozen=True)
class Reading:
    verdict: Verdict
    step: int | None = None


def token_read(raw: object) -> tuple[int, str] | None:
    """``(step, code)`` of a token as scanned or typed, or None when it cannot be one."""
    text = "".join(str(raw or "").split()).lower()
    if not text or len(text) > TOKEN_MAX or text.count("-") != 1:
        return None
    step_text, code = text.split("-")
    code = code.translate(_READS_AS)
    if not step_text.isdigit() or len(code) != CODE_LENGTH:
        return None
    if any(ch not in ALPHABET for ch in code):
        return None
    return int(step_text), code


def token_check(
    secret: bytes, *, booth: str, token: object, now_step: int, used_steps: Iterable[int] = ()
) -> Reading:
    """Whether ``token`` stamps ``booth`` at ``now_step`` (see the module's text).
    ``used_steps``: the steps of this visitor's stamps at this booth already."""
    parsed = token_read(token)
    if parsed is None:
        return Reading(Verdict.MALFORMED)
    step, code = parsed
    if step > now_step or not hmac.compare_digest(code, booth_code_at(secret, booth, step)):
        return Reading(Verdict.BAD_CODE)
    if step < now_step - 1:
        return Reading(Verdict.EXPIRED, step)
    if step in set(used_steps):
        return Reading(Verdict.REPLAYED, step)
    return Reading(Verdict.OK, step)


def stamps_needed(*, places: int, needed: int | None) -> int:
    """How many stamps complete a route of ``places`` places (all when not set, at most
    all of them, at least one)."""
    if not needed or needed > places:
        return max(places, 1)
    return max(needed, 1)


@dataclass(frozen=True)
class Progress:
    have: int
    needed: int

    @property
    def complete(self) -> bool:
        return self.have >= self.needed


def route_progress(
    *,
    booths: Iterable[int],
    events: Iterable[int],
    needed: int | None,
    stamped_booths: Iterable[int],
    stamped_events: Iterable[int],
) -> Progress:
    """A visitor's progress on a route: how many of its places their stamps cover."""
    route_booths, route_events = set(booths), set(events)
    have = len(route_booths & set(stamped_booths)) + len(route_events & set(stamped_events))
    total = len(route_booths) + len(route_events)
    return Progress(have=have, needed=stamps_needed(places=total, needed=needed))
