"""After-sales (售后) rules. Pure: no Django, no database.

A request moves only along the edges of ``TRANSITIONS``::

    requested -> accepted          (the seller, or by itself after AFTERSALES_SELLER_REPLY_DAYS)
    requested -> refused           (the seller, with a reason)
    refused   -> escalated         (the buyer asks the platform)
    escalated -> accepted | closed (an operator decides)
    accepted  -> refunded          (refund only: at once)
    accepted  -> return_shipped    (return and refund: the buyer's tracking number)
    return_shipped -> return_received -> refunded  (the seller got the goods back)
    requested, refused, accepted -> cancelled      (the buyer withdraws; a return not yet sent)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Kind(StrEnum):
    REFUND_ONLY = "refund_only"  # 仅退款
    RETURN_REFUND = "return_refund"  # 退货退款


class Status(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    ESCALATED = "escalated"
    RETURN_SHIPPED = "return_shipped"
    RETURN_RECEIVED = "return_received"
    REFUNDED = "refunded"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Reason(StrEnum):
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED = "damaged"
    QUALITY = "quality"
    WRONG_ITEM = "wrong_item"
    MISSING_PARTS = "missing_parts"
    NOT_RECEIVED = "not_received"
    CHANGED_MIND = "changed_mind"
    OTHER = "other"


S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.REQUESTED: frozenset({S.ACCEPTED, S.REFUSED, S.CANCELLED}),
    S.REFUSED: frozenset({S.ESCALATED, S.CANCELLED}),
    S.ESCALATED: frozenset({S.ACCEPTED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.REFUNDED, S.RETURN_SHIPPED, S.CANCELLED}),
    S.RETURN_SHIPPED: frozenset({S.RETURN_RECEIVED}),
    S.RETURN_RECEIVED: frozenset({S.REFUNDED}),
    S.REFUNDED: frozenset(),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
# Edges that belong to one kind only.
KIND_OF_EDGE: dict[tuple[Status, Status], Kind] = {
    (S.ACCEPTED, S.REFUNDED): Kind.REFUND_ONLY,
    (S.ACCEPTED, S.RETURN_SHIPPED): Kind.RETURN_REFUND,
}
FINAL_STATES = frozenset(status for status, targets in TRANSITIONS.items() if not targets)
# Requests that no longer hold a claim on their line's quantity and money.
RELEASED_STATES = frozenset({S.CLOSED, S.CANCELLED})

# Order statuses (``orders.rules.Status`` values) on which a buyer may ask.
BEFORE_DELIVERY = frozenset({"paid", "ready_for_pickup"})  # any time before shipping
IN_TRANSIT = frozenset({"shipped"})  # any time: it has not arrived yet
AFTER_DELIVERY = frozenset({"received", "picked_up", "completed"})  # within the window


def can_transition(current: str, target: str, *, kind: str) -> bool:
    try:
        current, target, kind = Status(current), Status(target), Kind(kind)
    except ValueError:
        return False
    if target not in TRANSITIONS[current]:
        return False
    return KIND_OF_EDGE.get((current, target), kind) == kind


def window_problem(
    *, order_status: str, kind: str, received_at: datetime | None, now: datetime, days: int
) -> str | None:
    """Why the buyer may not ask now (an error code), or None."""
    if order_status in BEFORE_DELIVERY:
        return "return_before_delivery" if kind == Kind.RETURN_REFUND else None
    if order_status in IN_TRANSIT:
        return None
    if order_status in AFTER_DELIVERY:
        if received_at is not None and now > received_at + timedelta(days=days):
            return "aftersales_window_closed"
        return None
    return "order_not_eligible"


def line_claimable(*, paid_fen: int, quantity: int, claimed_fen: int, claimed_qty: int):
    """What of a line may still be asked for: ``(fen, units)``."""
    return max(0, paid_fen - claimed_fen), max(0, quantity - claimed_qty)


def default_amount_fen(*, paid_fen: int, quantity: int, units: int) -> int:
    """A line's paid amount shared out per unit (the last units take the remainder)."""
    return paid_fen * units // quantity
