"""Simulated bidders for the demo: a few demo accounts that bid now and then on live lots,
so a visitor sees prices, handles and countdowns move (and gets outbid).

Only the worker's ``auctions.simulated_bidders`` task calls this, and only when
``DEMO_SIMULATED_BIDDERS`` is on (``designmall demo`` turns it on). Bids go through
``services.bid_place`` like anyone's (source ``simulated``); a lot that asks for a
deposit gets one paid first, through the sandbox cashier and its signed notification,
in-process. Each simulated bidder values each lot privately (around its estimate) and
never bids past that, so prices settle instead of running away.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from designmall.accounts.models import User
from designmall.auctions import engine
from designmall.auctions.deposits import deposit_create
from designmall.auctions.models import BidSource, Lot, LotStatus
from designmall.auctions.selectors import deposit_covering
from designmall.auctions.services import bid_place
from designmall.auctions.snapshot import lot_state
from designmall.core import clock
from designmall.core.errors import DomainError
from designmall.payments.gateways import sandbox
from designmall.payments.services import notification_receive

log = logging.getLogger(__name__)

# The demo's bidder accounts: bidder01@… to bidder08@… of the demo's e-mail domain.
BIDDER_EMAIL = "bidder{n:02d}@demo.designmall.cn"
BIDDERS = 8
MAX_BIDS_PER_RUN = 3


def simulated_bidders() -> list[User]:
    emails = [BIDDER_EMAIL.format(n=n) for n in range(1, BIDDERS + 1)]
    return list(User.objects.filter(email__in=emails, is_active=True).order_by("id"))


def _valuation(lot: Lot, bidder: User) -> int:
    """What ``bidder`` would pay at most for ``lot``: fixed per lot and bidder."""
    rng = random.Random(f"{lot.public_id}:{bidder.public_id}")
    anchor = lot.estimate_high_fen or lot.reserve_fen or lot.start_price_fen * 3
    return int(anchor * rng.uniform(0.7, 1.4))


def _wants_to_bid(lot: Lot, rng: random.Random, now) -> bool:
    left = lot.ends_at - now
    if left <= timedelta(minutes=3):
        return rng.random() < 0.6
    if left <= timedelta(minutes=15):
        return rng.random() < 0.3
    return rng.random() < 0.08 + (0.2 if lot.bid_count == 0 else 0)


def _ensure_deposit(lot: Lot, bidder: User) -> bool:
    """Pay the lot's deposit for ``bidder`` at the sandbox cashier if it asks for one."""
    if lot.deposit_fen == 0 or deposit_covering(lot=lot, bidder=bidder) is not None:
        return True
    if settings.PAYMENTS_GATEWAY != "sandbox" or not settings.PAYMENTS_SANDBOX_ENABLED:
        return False
    deposit = deposit_create(bidder=bidder, lot=lot)
    paid = sandbox.sandbox_pay(payment=deposit.payment)
    if paid.notification:
        notification_receive(params=paid.notification)
    return deposit_covering(lot=lot, bidder=bidder) is not None


def _amount(lot: Lot, minimum: int, ceiling: int, rng: random.Random) -> int:
    """The minimum bid, or now and then a proxy maximum a few increments above it."""
    state = lot_state(lot)
    amount = minimum
    for _step in range(rng.choice((0, 0, 0, 1, 2, 4))):
        nxt = state.rules.next_valid(amount)
        if nxt > ceiling:
            break
        amount = nxt
    return amount


def simulated_bids_place(*, rng: random.Random | None = None, limit: int = MAX_BIDS_PER_RUN) -> int:
    """Place up to ``limit`` bids from the simulated bidders on live lots; returns how many
    were accepted."""
    rng = rng or random.Random()
    bidders = simulated_bidders()
    if not bidders:
        return 0
    now = clock.now()
    lots = list(
        Lot.objects.filter(
            Q(status=LotStatus.ACTIVE, outcome=""),
            sale__is_published=True,
            starts_at__lte=now,
            ends_at__gt=now,
        )
        .select_related("increment_table", "shop")
        .order_by("ends_at")
    )
    rng.shuffle(lots)
    placed = 0
    for lot in lots:
        if placed >= limit or not _wants_to_bid(lot, rng, now):
            continue
        state = lot_state(lot)
        minimum = state.minimum_bid_fen
        if minimum is None or engine.phase(state, now) != engine.LotPhase.OPEN:
            continue
        candidates = [b for b in bidders if b.pk not in (lot.leader_id, lot.shop.owner_id)]
        rng.shuffle(candidates)
        for bidder in candidates[:2]:
            ceiling = _valuation(lot, bidder)
            if minimum > ceiling:
                continue
            try:
                if not _ensure_deposit(lot, bidder):
                    continue
                bid_place(
                    lot=lot,
                    bidder=bidder,
                    max_fen=_amount(lot, minimum, ceiling, rng),
                    source=BidSource.SIMULATED,
                )
            except DomainError as exc:
                log.info("simulated bid on %s refused: %s", lot.public_id, exc.code)
                continue
            placed += 1
            break
    return placed
