"""The design week's ticket key and the QR payloads signed with it.

The key pair of an edition (the week's first day) is generated on first use
and kept in ``EventKey``; two processes asking at once end up with the same one
(a unique constraint on the active key of an edition, and the loser reads the
winner's). Payloads are signed on demand, so a ticket's QR code needs nothing
stored; the format is ``ticketsign``'s.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import IntegrityError, transaction

from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.events import ticketsign
from designmall.events.models import EventKey, Session, Ticket
from designmall.events.week import week_dates


def edition() -> str:
    """The design week tickets are signed for now: its first day (``events.week``)."""
    return week_dates().starts_on.isoformat()


@functools.lru_cache(maxsize=16)
def _private_key(pem: str) -> Ed25519PrivateKey:
    return ticketsign.private_key_from_pem(pem)


@functools.lru_cache(maxsize=64)
def _public_key(b64: str) -> Ed25519PublicKey:
    return ticketsign.public_key_from_b64(b64)


def _active(name: str) -> EventKey | None:
    return EventKey.objects.filter(edition=name, retired_at__isnull=True).first()


def _new_key(name: str) -> EventKey:
    for _attempt in range(5):
        private = ticketsign.generate_private_key()
        try:
            with transaction.atomic():
                return EventKey.objects.create(
                    kid=ticketsign.key_id(private.public_key()),
                    edition=name,
                    public_key=ticketsign.public_key_b64(private.public_key()),
                    private_key_pem=ticketsign.private_key_pem(private),
                    created_at=clock.now(),
                )
        except IntegrityError:
            existing = _active(name)
            if existing is not None:
                return existing  # another process made the edition's key first
            # else: a key id collided with an older key's; draw again
    raise RuntimeError("could not create a ticket signing key")


def event_key_current() -> EventKey:
    """The active key of the current edition, created on first use."""
    name = edition()
    return _active(name) or _new_key(name)


@transaction.atomic
def event_key_rotate(*, by=None, reason: str = "") -> EventKey:
    """Retire the current edition's key and make a new one (a key that may have leaked).

    Tickets show payloads signed with the new key from now on; the retired key stays
    published (with its ``retired_at``) for scanners to decide on older screenshots.
    """
    name = edition()
    current = EventKey.objects.select_for_update().filter(edition=name, retired_at__isnull=True)
    retired = list(current)
    current.update(retired_at=clock.now())
    key = _new_key(name)
    audit_record(
        actor=by,
        action="event_key.rotated",
        target=key,
        reason=reason,
        data={"retired": [k.kid for k in retired], "kid": key.kid},
    )
    return key


def public_key_of(key: EventKey) -> Ed25519PublicKey:
    return _public_key(key.public_key)


def ticket_validity(session: Session) -> tuple[datetime, datetime]:
    """When a ticket of ``session`` opens the door: from ``EVENT_DOORS_OPEN_MINUTES``
    before the start until the end."""
    return (
        session.starts_at - timedelta(minutes=settings.EVENT_DOORS_OPEN_MINUTES),
        session.ends_at,
    )


def ticket_payload(ticket: Ticket, *, key: EventKey | None = None) -> str:
    """The signed QR payload of ``ticket`` (its session loaded or fetched)."""
    key = key or event_key_current()
    valid_from, valid_until = ticket_validity(ticket.session)
    return ticketsign.sign(
        ticket_id=ticket.public_id,
        session_id=ticket.session.public_id,
        valid_from=valid_from,
        valid_until=valid_until,
        private_key=_private_key(key.private_key_pem),
    )
