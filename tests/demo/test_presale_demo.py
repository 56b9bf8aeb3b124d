"""The demo's pre-sales: built on any day, one is taking deposits, one is in its balance
window with the demo buyer's deposit paid (and told), one is a full-payment pre-sale with a
ship date, one closed with the buyer's deposit forfeited on the ledger; the books balance,
and a reset wipes them with their money and builds them again."""

# The payments tests' fixtures are imported by name.

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from designmall.core import clock
from designmall.demo.presale import BUYER_EMAIL
from designmall.ledger.models import LedgerTransaction
from designmall.ledger.services import ledger_verify
from designmall.presale.models import Campaign, NoticeKind, Preorder, PreorderStatus
from designmall.presale.selectors import Phase, campaign_phase, campaign_skus_verify
from tests.payments.conftest import (  # noqa: F401  (the sandbox's keys and settings)
    _payments_settings,
    keys,
    sandbox_key_dir,
)

from .conftest import TEST_SEED

pytestmark = pytest.mark.django_db

BUILT_AT = datetime(2027, 3, 14, 21, 40, tzinfo=ZoneInfo("Asia/Shanghai"))


def _build(reset: bool = False) -> None:
    clock.set_frozen(BUILT_AT)
    call_command("seed", products=60, seed=TEST_SEED, verbosity=0, reset=reset)


def test_the_demo_has_a_presale_in_every_phase():
    _build()
    now = clock.now()
    campaigns = list(Campaign.objects.all())
    phases = {(c.kind, campaign_phase(c, now)) for c in campaigns}

    assert clock.now() == BUILT_AT  # the builder moved the clock back and forth, no more
    assert ("deposit", Phase.DEPOSIT) in phases
    assert ("deposit", Phase.BALANCE) in phases
    assert ("full", Phase.DEPOSIT) in phases
    assert ("deposit", Phase.CLOSED) in phases
    assert all(c.promised_ship_date for c in campaigns)
    mine = {
        campaign_phase(p.campaign, now): p
        for p in Preorder.objects.filter(buyer__email=BUYER_EMAIL).select_related("campaign")
    }
    assert mine[Phase.BALANCE].status == PreorderStatus.DEPOSIT_PAID
    assert mine[Phase.BALANCE].notices.filter(kind=NoticeKind.BALANCE_OPEN).exists()
    assert mine[Phase.CLOSED].status == PreorderStatus.DEFAULTED
    assert LedgerTransaction.objects.filter(key=f"forfeit:{mine[Phase.CLOSED].public_id}").exists()
    live = next(c for c in campaigns if campaign_phase(c, now) == Phase.DEPOSIT and c.is_deposit)
    assert live.preorders.filter(status=PreorderStatus.DEPOSIT_PAID).count() >= 1
    assert ledger_verify() == [] and campaign_skus_verify() == []


def test_a_reset_wipes_the_presales_with_their_money_and_builds_them_again():
    _build()
    _build(reset=True)

    assert Campaign.objects.count() == 4
    assert Preorder.objects.filter(buyer__email=BUYER_EMAIL).count() == 2
    assert ledger_verify() == [] and campaign_skus_verify() == []
