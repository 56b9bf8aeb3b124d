"""Auctions under test: a frozen clock, the auction settings, the sandbox payment path (the
payments tests' keys and settings) to pay deposits and lots won for real, and helpers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

import designmall.auctions.tasks  # registers the sweepers, as the worker does
import designmall.payments.tasks  # noqa: F401  (the refund and notify jobs)
from designmall.accounts.roles import Role
from designmall.auctions import live
from designmall.auctions.deposits import deposit_create
from designmall.auctions.models import Deposit, Lot
from designmall.auctions.services import bid_place
from designmall.core import clock
from designmall.payments.gateways import sandbox
from designmall.payments.models import Payment
from designmall.payments.services import notification_receive
from tests.factories import make_lot, make_user
from tests.payments.conftest import (  # noqa: F401  (fixtures: the sandbox's keys and settings)
    _payments_settings,
    keys,
    run_jobs,
    sandbox_key_dir,
    worker_transport,
)

ADDRESS = {
    "name": "林小满",
    "mobile": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "徐汇区",
    "detail": "龙腾大道 2555 号 3 号楼",
}


def yuan(amount: int) -> int:
    return amount * 100


@pytest.fixture(autouse=True)
def _frozen_clock(_isolated):
    """Time stands still unless a test moves it."""
    clock.set_frozen(timezone.now().replace(microsecond=0))


@pytest.fixture(autouse=True)
def _auction_settings(settings):
    settings.AUCTION_WINNER_PAYMENT_HOURS = 48
    settings.AUCTION_SECOND_CHANCE_HOURS = 24
    settings.AUCTION_SOFT_CLOSE_MINUTES = 5
    settings.DEMO_SIMULATED_BIDDERS = False
    settings.REDIS_URL = ""
    settings.ORDER_SHIPPING_FEE_FEN = 1_500
    settings.ORDER_FREE_SHIPPING_FROM_FEN = 29_900


class Published:
    """What the live layer was told: (channel, message) pairs."""

    def __init__(self):
        self.messages: list[tuple[str, str]] = []

    def publish(self, channel: str, message: str) -> None:
        self.messages.append((channel, message))

    def of(self, lot: Lot) -> list[dict]:
        import json

        return [json.loads(m) for c, m in self.messages if c == live.channel(lot.public_id)]


@pytest.fixture
def published(monkeypatch) -> Published:
    recorder = Published()
    monkeypatch.setattr(live, "publisher", lambda: recorder)
    return recorder


@pytest.fixture
def lot(db) -> Lot:
    """Open for an hour more, ¥1,000 start, the default increments (¥50 below ¥1,000,
    ¥100 to ¥5,000, ¥500 to ¥20,000...), no reserve, no deposit."""
    return make_lot()


@pytest.fixture
def alice(db):
    return make_user()


@pytest.fixture
def bob(db):
    return make_user()


@pytest.fixture
def carol(db):
    return make_user()


@pytest.fixture
def operator(db):
    return make_user(role=Role.OPERATOR)


def bid(lot: Lot, bidder, amount_yuan: int, **kwargs):
    return bid_place(lot=lot, bidder=bidder, max_fen=yuan(amount_yuan), **kwargs)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def pay(payment: Payment) -> str:
    """The buyer pays at the sandbox cashier and its signed notification is delivered;
    returns the notify outcome."""
    payment.refresh_from_db()
    paid = sandbox.sandbox_pay(payment=payment)
    return notification_receive(params=paid.notification).outcome


def paid_deposit(bidder, *, lot: Lot | None = None, sale=None) -> Deposit:
    deposit = deposit_create(bidder=bidder, lot=lot, sale=sale)
    assert pay(deposit.payment) == "credited"
    return fresh(deposit)


def after_end(lot: Lot, seconds: int = 1) -> None:
    """Move the clock past the lot's (current) end."""
    lot.refresh_from_db()
    clock.set_frozen(lot.ends_at + timedelta(seconds=seconds))
