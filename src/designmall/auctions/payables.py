"""The auction's payables: what payments calls, registered in ``AuctionsConfig.ready()``.

- ``auction_deposit`` (``payable_id``: the deposit's public id), handled by ``deposits``:
  payable while pending and its lot or sale still takes bids; paid → held; expired →
  expired; refunded (a release) → booked out of escrow, released.
- ``auction_checkout`` (``payable_id``: the orders checkout's public id), handled by
  ``settlement``: payable while the buyer's window is open; paid → the order is paid, the
  lot paid, the deposit applied; expired → the checkout expires (the buyer may check out
  again within the window); refunded → orders books it like any order refund.

Payments calls them in its own transactions with the payment locked; each handler locks
what it checks next (see the lock order in ``services``).
"""

from __future__ import annotations

from designmall.auctions import deposits, settlement
from designmall.payments import payables


def register() -> None:
    payables.register(
        deposits.PAYABLE_TYPE,
        is_payable=deposits.deposit_is_payable,
        on_paid=deposits.deposit_mark_paid,
        on_refunded=deposits.deposit_refund_succeeded,
        on_expired=deposits.deposit_payment_expired,
        return_url=deposits.deposit_return_url,
    )
    payables.register(
        settlement.PAYABLE_TYPE,
        is_payable=settlement.lot_checkout_is_payable,
        on_paid=settlement.lot_checkout_paid,
        on_refunded=settlement.lot_checkout_refunded,
        on_expired=settlement.lot_checkout_expired,
        return_url=settlement.lot_checkout_return_url,
    )
