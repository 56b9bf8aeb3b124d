"""The signed ticket QR payload. Pure: no Django, no database.

A ticket's QR code carries what a scanner needs to accept it offline, signed
with the design week's Ed25519 key, and nothing about the person::

    byte   0       version (1)
    bytes  1..4    key id: the first 4 bytes of SHA-256 of the raw public key
    bytes  5..14   ticket public id (its 16 base32 symbols as 80 bits)
    bytes 15..24   session public id (likewise)
    bytes 25..28   valid from, unix seconds (big-endian, unsigned)
    bytes 29..32   valid until, unix seconds
    bytes 33..96   Ed25519 signature of bytes 0..32

as base64url text without padding: 130 characters, a small QR code (version 8
at error correction M). The same claims signed with the same key always give
the same text (Ed25519 signatures are deterministic).

``verify`` checks, in this order: the shape, the key id, the signature, then
the validity window against ``now``; each failure is its own ``TicketInvalid``
subclass with a stable ``code``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
TICKET_PREFIX = "tk"
SESSION_PREFIX = "ses"
ALGORITHM = "Ed25519"

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, as core.ids
_INDEX = {symbol: n for n, symbol in enumerate(_ALPHABET)}
_BODY_SYMBOLS = 16
_HEADER = struct.Struct(">B4s10s10sII")
SIGNATURE_BYTES = 64
PAYLOAD_BYTES = _HEADER.size + SIGNATURE_BYTES  # 97
PAYLOAD_CHARS = 130
_MAX_UNIX = 2**32 - 1


class TicketInvalid(Exception):
    """Why a ticket payload is refused; ``code`` is stable."""

    code = "ticket_invalid"


class MalformedTicket(TicketInvalid):
    code = "ticket_malformed"


class UnknownKey(TicketInvalid):
    code = "ticket_unknown_key"


class BadSignature(TicketInvalid):
    code = "ticket_bad_signature"


class TicketNotYetValid(TicketInvalid):
    code = "ticket_not_yet_valid"


class TicketExpired(TicketInvalid):
    code = "ticket_expired"


@dataclass(frozen=True)
class TicketClaims:
    ticket_id: str  # "tk_…"
    session_id: str  # "ses_…"
    valid_from: int  # unix seconds
    valid_until: int
    key_id: str  # 8 hex digits
    version: int = VERSION


# --- public ids as 80 bits -----------------------------------------------------------------


def _id_bytes(public_id: str, prefix: str) -> bytes:
    head, _, body = public_id.partition("_")
    if head != prefix or len(body) != _BODY_SYMBOLS or any(c not in _INDEX for c in body):
        raise ValueError(f"not a {prefix}_ public id: {public_id!r}")
    number = 0
    for symbol in body:
        number = number << 5 | _INDEX[symbol]
    return number.to_bytes(10, "big")


def _id_text(raw: bytes, prefix: str) -> str:
    number = int.from_bytes(raw, "big")
    body = "".join(_ALPHABET[(number >> shift) & 31] for shift in range(75, -1, -5))
    return f"{prefix}_{body}"


# --- keys ----------------------------------------------------------------------------------


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def private_key_from_pem(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(key: Ed25519PublicKey) -> str:
    """The 32 raw bytes of the public key as base64url without padding (43 characters)."""
    return _b64encode(public_key_raw(key))


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(_b64decode(text))
    except (ValueError, binascii.Error) as exc:
        raise ValueError("not a base64url Ed25519 public key") from exc


def key_id(key: Ed25519PublicKey) -> str:
    """The key's id: 8 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(public_key_raw(key)).digest()[:4].hex()


# --- payloads ------------------------------------------------------------------------------


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _unix(moment: int | datetime) -> int:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous: give an aware one")
        return int(moment.timestamp())
    if isinstance(moment, bool) or not isinstance(moment, int):
        raise TypeError("a moment is unix seconds or an aware datetime")
    return moment


def sign(
    *,
    ticket_id: str,
    session_id: str,
    valid_from: int | datetime,
    valid_until: int | datetime,
    private_key: Ed25519PrivateKey,
) -> str:
    """The QR payload of a ticket, valid from ``valid_from`` until ``valid_until``."""
    start, end = _unix(valid_from), _unix(valid_until)
    if not 0 <= start <= end <= _MAX_UNIX:
        raise ValueError("the validity must be 0 <= valid_from <= valid_until < 2**32")
    header = _HEADER.pack(
        VERSION,
        bytes.fromhex(key_id(private_key.public_key())),
        _id_bytes(ticket_id, TICKET_PREFIX),
        _id_bytes(session_id, SESSION_PREFIX),
        start,
        end,
    )
    return _b64encode(header + private_key.sign(header))


def decode(payload: str) -> tuple[TicketClaims, bytes, bytes]:
    """``(claims, signed bytes, signature)`` of a payload, **without** checking the
    signature (to pick the key by ``claims.key_id``). Raises ``MalformedTicket``."""
    if not isinstance(payload, str) or len(payload.strip()) != PAYLOAD_CHARS:
        raise MalformedTicket("a ticket payload is 130 base64url characters")
    try:
        raw = _b64decode(payload.strip())
    except (ValueError, binascii.Error):
        raise MalformedTicket("a ticket payload is base64url text") from None
    # The last symbol carries 4 unused bits: only the canonical spelling is accepted.
    if len(raw) != PAYLOAD_BYTES or _b64encode(raw) != payload.strip():
        raise MalformedTicket("a ticket payload is 97 bytes in canonical base64url")
    header, signature = raw[: _HEADER.size], raw[_HEADER.size :]
    version, kid, ticket, session, start, end = _HEADER.unpack(header)
    if version != VERSION:
        raise MalformedTicket(f"unknown ticket payload version {version}")
    if start > end:
        raise MalformedTicket("the validity window ends before it starts")
    claims = TicketClaims(
        ticket_id=_id_text(ticket, TICKET_PREFIX),
        session_id=_id_text(session, SESSION_PREFIX),
        valid_from=start,
        valid_until=end,
        key_id=kid.hex(),
        version=version,
    )
    return claims, header, signature


def verify(
    payload: str,
    public_key: Ed25519PublicKey | Mapping[str, Ed25519PublicKey],
    *,
    now: int | datetime,
    leeway_seconds: int = 0,
) -> TicketClaims:
    """The claims of a genuine payload that is valid at ``now``; else ``TicketInvalid``.

    ``public_key`` is the key, or a mapping of key id to key (a scanner that knows
    several). ``leeway_seconds`` widens the window on both sides, for a device whose
    clock is a little off.
    """
    claims, header, signature = decode(payload)
    if isinstance(public_key, Mapping):
        key = public_key.get(claims.key_id)
    else:
        key = public_key if key_id(public_key) == claims.key_id else None
    if key is None:
        raise UnknownKey(f"the ticket is signed with key {claims.key_id}, which is not known")
    try:
        key.verify(signature, header)
    except InvalidSignature:
        raise BadSignature("the ticket's signature is not genuine") from None
    moment = _unix(now)
    if moment < claims.valid_from - leeway_seconds:
        raise TicketNotYetValid("the ticket is not valid yet")
    if moment > claims.valid_until + leeway_seconds:
        raise TicketExpired("the ticket is no longer valid")
    return claims
