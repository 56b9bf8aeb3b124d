"""Public ids: random, unguessable, URL-safe, with a readable type prefix.

Database keys stay internal; every id a person or client sees is one of these.
16 characters of Crockford base32 carry 80 bits of randomness.
"""

import re
import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford: no i, l, o, u
_BODY_LENGTH = 16
_PUBLIC_ID_RE = re.compile(rf"^[a-z]{{1,4}}_[{_ALPHABET}]{{{_BODY_LENGTH}}}$")


def new_public_id(prefix: str) -> str:
    # One 80-bit draw split into 16 five-bit symbols (one syscall, not sixteen).
    number = int.from_bytes(secrets.token_bytes(10), "big")
    body = "".join(_ALPHABET[(number >> shift) & 31] for shift in range(75, -1, -5))
    return f"{prefix}_{body}"


def looks_like_public_id(value: str) -> bool:
    return bool(_PUBLIC_ID_RE.match(value or ""))


class PublicIdDefault:
    """A picklable default for model fields (migrations serialise it)."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self) -> str:
        return new_public_id(self.prefix)

    def deconstruct(self):
        return ("designmall.core.ids.PublicIdDefault", (self.prefix,), {})

    def __eq__(self, other):
        return isinstance(other, PublicIdDefault) and other.prefix == self.prefix

    def __hash__(self):
        return hash(self.prefix)


SHORT_CODE_LENGTH = 10


def new_short_code(length: int = SHORT_CODE_LENGTH) -> str:
    """A short, unguessable code for a printed URL (a QR code stays small): Crockford base32
    without a prefix; 10 characters carry 50 bits of randomness."""
    number = int.from_bytes(secrets.token_bytes((length * 5 + 7) // 8), "big")
    return "".join(_ALPHABET[(number >> (5 * n)) & 31] for n in range(length))
