"""Commission arithmetic. Pure: integers in, integers out."""

from __future__ import annotations

from designmall.core.money import Money


def split_commission(amount_fen: int, commission_bp: int) -> tuple[int, int]:
    """``(seller_fen, commission_fen)`` of a released amount.

    The commission is ``commission_bp``/10000 of the amount rounded half up to the
    fen; it is never more than the amount, and the two parts always add up to it.
    """
    commission = Money(amount_fen).share_bp(commission_bp).fen
    return amount_fen - commission, commission


def commission_back(
    *, commission_fen: int, released_fen: int, refunded_before_fen: int, refund_fen: int
) -> int:
    """The commission share to return with a refund taken from a seller after release.

    Computed on the running total (``refunded_before_fen + refund_fen`` of the
    ``released_fen``), so a series of partial refunds returns, in total, exactly
    the commission's share of what was refunded, and all of it once everything is.
    """
    if released_fen <= 0 or refunded_before_fen < 0 or refund_fen <= 0:
        raise ValueError("amounts must be positive")
    if refunded_before_fen + refund_fen > released_fen:
        raise ValueError("refunds exceed the released amount")

    def share(refunded: int) -> int:
        return (commission_fen * refunded * 2 + released_fen) // (released_fen * 2)

    return share(refunded_before_fen + refund_fen) - share(refunded_before_fen)
