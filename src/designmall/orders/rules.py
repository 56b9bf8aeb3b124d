"""Order rules. Pure: no Django, no database.

The order state machine is the table ``TRANSITIONS``: an order moves only along
its edges, and some edges belong to one way of delivery only::

    pending_payment -> paid -> shipped -> received -> completed         (address)
    pending_payment -> paid -> ready_for_pickup -> picked_up -> completed (pickup)
    picked_up -> ready_for_pickup            (a booth's handover reversed, before settlement)
    pending_payment -> cancelled | expired
    paid, shipped, received, ready_for_pickup, picked_up, completed -> refunded
                                                      (once refunded in full)

A partial refund leaves the status as it is; it is recorded on the order.
Shipping fees, pickup codes and tracking numbers are here too.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from enum import StrEnum


class Status(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    RECEIVED = "received"
    READY_FOR_PICKUP = "ready_for_pickup"
    PICKED_UP = "picked_up"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class Delivery(StrEnum):
    ADDRESS = "address"
    PICKUP = "pickup"


S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED, S.EXPIRED}),
    S.PAID: frozenset({S.SHIPPED, S.READY_FOR_PICKUP, S.REFUNDED}),
    S.SHIPPED: frozenset({S.RECEIVED, S.REFUNDED}),
    S.RECEIVED: frozenset({S.COMPLETED, S.REFUNDED}),
    S.READY_FOR_PICKUP: frozenset({S.PICKED_UP, S.REFUNDED}),
    # Back to waiting when a booth's handover is reversed (冲正) before settlement.
    S.PICKED_UP: frozenset({S.COMPLETED, S.REFUNDED, S.READY_FOR_PICKUP}),
    S.COMPLETED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REFUNDED: frozenset(),
}
# States an order is in only with this way of delivery.
DELIVERY_OF_STATUS: dict[Status, Delivery] = {
    S.SHIPPED: Delivery.ADDRESS,
    S.RECEIVED: Delivery.ADDRESS,
    S.READY_FOR_PICKUP: Delivery.PICKUP,
    S.PICKED_UP: Delivery.PICKUP,
}
# The buyer's money is with us (in escrow or released): refunds are possible.
PAID_STATES = frozenset(
    {S.PAID, S.SHIPPED, S.RECEIVED, S.READY_FOR_PICKUP, S.PICKED_UP, S.COMPLETED}
)
# Not finished: a pickup code is unique among these.
OPEN_STATES = frozenset({S.PENDING_PAYMENT, S.PAID, S.READY_FOR_PICKUP})
FINAL_STATES = frozenset(status for status, targets in TRANSITIONS.items() if not targets)


def can_transition(current: str, target: str, *, delivery: str) -> bool:
    """Whether an order delivered by ``delivery`` may go from ``current`` to ``target``."""
    try:
        current, target, delivery = Status(current), Status(target), Delivery(delivery)
    except ValueError:
        return False
    if target not in TRANSITIONS[current]:
        return False
    return all(DELIVERY_OF_STATUS.get(status, delivery) == delivery for status in (current, target))


# --- quantities --------------------------------------------------------------------------


def is_quantity(value: object) -> bool:
    """A whole number of units, at least one (``True`` is not a number here)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def limits_problem(
    quantities: Mapping[str, int], *, max_per_sku: int, max_lines: int, max_total: int
) -> tuple[str, dict] | None:
    """Which limit a cart or order of ``quantities`` (SKU -> units) breaks, as
    ``(code, details)``; None when it keeps them all."""
    for sku, quantity in quantities.items():
        if quantity > max_per_sku:
            return "quantity_over_limit", {"sku": sku, "quantity": quantity, "max": max_per_sku}
    if len(quantities) > max_lines:
        return "too_many_lines", {"lines": len(quantities), "max": max_lines}
    total = sum(quantities.values())
    if total > max_total:
        return "order_quantity_over_limit", {"quantity": total, "max": max_total}
    return None


# --- money -------------------------------------------------------------------------------


def shipping_fee_fen(*, delivery: str, items_fen: int, fee_fen: int, free_from_fen: int) -> int:
    """The shipping fee of one shop's order: ``fee_fen`` for delivery to an address,
    nothing from ``free_from_fen`` worth of goods on, and nothing for a venue pickup."""
    if Delivery(delivery) == Delivery.PICKUP or items_fen >= free_from_fen:
        return 0
    return fee_fen


def refundable_fen(*, total_fen: int, committed_fen: int) -> int:
    """What may still be refunded of an order: its total less refunds done or under way."""
    return max(0, total_fen - committed_fen)


# --- pickup codes ------------------------------------------------------------------------

# Crockford base32 without I, L, O, U: read aloud and typed without mix-ups.
PICKUP_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PICKUP_CODE_LENGTH = 8  # 40 random bits: not guessable at a counter
_PICKUP_TYPOS = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})
_PICKUP_SEPARATORS = re.compile(r"[\s\-_]+")


def new_pickup_code() -> str:
    return "".join(secrets.choice(PICKUP_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


def normalize_pickup_code(text: str) -> str:
    """A typed or scanned pickup code in its stored form ("" if it cannot be one):
    case, spaces and dashes do not matter, and I/L/O read as 1/1/0."""
    if not isinstance(text, str):
        return ""
    code = _PICKUP_SEPARATORS.sub("", text).upper().translate(_PICKUP_TYPOS)
    if len(code) != PICKUP_CODE_LENGTH or any(c not in PICKUP_ALPHABET for c in code):
        return ""
    return code


def format_pickup_code(code: str) -> str:
    """``ABCD-EFGH``: easier to read out at the counter."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if code else ""


# --- shipping ----------------------------------------------------------------------------

# Carrier code -> name shown to people, in Chinese (a gettext msgid: models.carrier_label).
CARRIERS: dict[str, str] = {
    "SF": "顺丰速运",
    "JD": "京东物流",
    "EMS": "中国邮政 EMS",
    "ZTO": "中通快递",
    "YTO": "圆通速递",
    "STO": "申通快递",
    "YUNDA": "韵达速递",
    "JTSD": "极兔速递",
    "DBL": "德邦快递",
}
_TRACKING_RE = re.compile(r"^[A-Z0-9]{8,30}$")


def normalize_tracking_number(text: str) -> str:
    """A tracking number in its stored form ("" if it cannot be one): 8-30 letters and
    digits, spaces and dashes dropped, upper case."""
    if not isinstance(text, str):
        return ""
    number = _PICKUP_SEPARATORS.sub("", text).upper()
    return number if _TRACKING_RE.match(number) else ""
