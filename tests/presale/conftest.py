"""Pre-sale under test: the sandbox payment path (the payments tests' keys and settings) to
pay deposits for real, the pre-sale settings, and builders for campaigns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

import designmall.presale.tasks  # noqa: F401  (registers the sweeper, as the worker does)
from designmall.accounts.models import User
from designmall.core import clock
from designmall.ledger.services import ledger_verify
from designmall.payments.gateways import sandbox
from designmall.payments.services import notification_receive
from designmall.presale.models import Campaign, CampaignSku, Preorder
from designmall.presale.selectors import campaign_skus_verify
from designmall.presale.services import campaign_approve, campaign_create, campaign_submit
from tests.factories import make_operator, make_product
from tests.payments.conftest import (  # noqa: F401  (fixtures: the sandbox's keys and settings)
    _payments_settings,
    keys,
    run_jobs,
    sandbox_key_dir,
    worker_transport,
)

PRICE = 100_000  # ¥1,000.00
DEPOSIT = 10_000  # ¥100: counts as ¥150
CREDIT = 15_000


@pytest.fixture(autouse=True)
def _frozen_clock(_isolated):
    """Time stands still unless a test moves it."""
    clock.set_frozen(timezone.now().replace(microsecond=0))


@pytest.fixture(autouse=True)
def _presale_settings(settings):
    settings.PRESALE_DEPOSIT_HOLD_MINUTES = 30


@pytest.fixture
def books_balance(db):
    """After the test: the ledger sums to zero and every campaign SKU's counters agree."""
    yield
    assert ledger_verify() == []
    assert campaign_skus_verify() == []


def deposit_fields(**changes) -> dict:
    """A deposit campaign taking deposits from now for 3 days, the balance from day 4 to 6,
    shipping within 30 days after."""
    now = clock.now()
    fields = dict(
        kind="deposit",
        title_zh="限量版胡桃木椅 预售",
        title_en="Limited walnut chair pre-sale",
        starts_at=now,
        ends_at=now + timedelta(days=3),
        balance_starts_at=now + timedelta(days=4),
        balance_ends_at=now + timedelta(days=6),
        ship_days_after_end=30,
        per_buyer_limit=1,
    )
    fields.update(changes)
    return fields


def sku_line(product, *, quantity=50, price=PRICE, deposit=DEPOSIT, credit=CREDIT, index=0):
    sku = product.skus.order_by("id")[index]
    return {
        "sku": sku.public_id,
        "price_fen": price,
        "deposit_fen": deposit,
        "credit_fen": credit,
        "quantity": quantity,
    }


def make_campaign(*, product=None, approved=True, quantity=50, skus=None, **changes) -> Campaign:
    """A deposit campaign by the product's seller, submitted and approved by an operator."""
    product = product or make_product(skus=[(120_000, 0)])
    seller = product.shop.owner
    campaign = campaign_create(
        by=seller,
        product=product,
        skus=skus or [sku_line(product, quantity=quantity)],
        **deposit_fields(**changes),
    )
    if approved:
        campaign_submit(campaign=campaign, by=seller)
        campaign_approve(campaign=campaign, by=make_operator())
    campaign.refresh_from_db()
    return campaign


def full_campaign(quantity=3, **changes):
    """A full-payment campaign: the whole price now, shipped within 20 days of its end."""
    product = make_product(skus=[(120_000, 0)])
    line = sku_line(product, quantity=quantity, deposit=0, credit=0)
    fields = {
        "kind": "full",
        "balance_starts_at": None,
        "balance_ends_at": None,
        "ship_days_after_end": 20,
        **changes,
    }
    return make_campaign(product=product, skus=[line], **fields)


def first_sku(campaign: Campaign) -> CampaignSku:
    return campaign.skus.order_by("id").first()


def pay_deposit(preorder: Preorder) -> str:
    """The buyer pays the deposit at the sandbox cashier and its signed notification is
    delivered; returns the notify outcome."""
    preorder.refresh_from_db()
    paid = sandbox.sandbox_pay(payment=preorder.deposit_payment)
    return notification_receive(params=paid.notification).outcome


def fresh(obj):
    obj.refresh_from_db()
    return obj


def taken(row: CampaignSku) -> int:
    return CampaignSku.objects.values_list("taken", flat=True).get(pk=row.pk)


def buyers(n: int, prefix: str = "buyer") -> list[User]:
    from django.contrib.auth.hashers import make_password

    password = make_password(None)
    User.objects.bulk_create(
        User(email=f"{prefix}-{i}@example.com", password=password, display_name=f"买家{i}")
        for i in range(n)
    )
    return list(User.objects.filter(email__startswith=f"{prefix}-").order_by("pk"))
