"""Campaigns: a seller writes one for SKUs of its own live product, every rule checked on
save; an operator approves it, or rejects it with a reason the seller sees and fixes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from designmall.catalog.models import ProductStatus, ShopStatus
from designmall.core import clock
from designmall.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from designmall.core.models import AuditEvent
from designmall.presale.models import CampaignStatus
from designmall.presale.rules import SHANGHAI
from designmall.presale.services import (
    campaign_approve,
    campaign_create,
    campaign_reject,
    campaign_submit,
    campaign_update,
)
from tests.factories import make_operator, make_product, make_shop, make_user
from tests.presale.conftest import PRICE, deposit_fields, fresh, make_campaign, sku_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return make_product(skus=[(120_000, 0), (150_000, 0)])


@pytest.fixture
def seller(product):
    return product.shop.owner


def test_a_seller_creates_a_draft_campaign_with_its_skus_terms(product, seller):
    campaign = campaign_create(
        by=seller,
        product=product,
        skus=[sku_line(product, index=0), sku_line(product, index=1, quantity=10)],
        **deposit_fields(),
    )
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.shop == product.shop
    rows = list(campaign.skus.order_by("id"))
    assert [(r.price_fen, r.deposit_fen, r.credit_fen, r.quantity, r.taken) for r in rows] == [
        (PRICE, 10_000, 15_000, 50, 0),
        (PRICE, 10_000, 15_000, 10, 0),
    ]
    assert rows[0].balance_fen == 85_000
    balance_end_day = campaign.balance_ends_at.astimezone(SHANGHAI).date()
    assert campaign.promised_ship_date == balance_end_day + timedelta(days=30)


def test_the_boost_defaults_to_none_when_no_credit_is_given(product, seller):
    line = sku_line(product)
    del line["credit_fen"]
    campaign = campaign_create(by=seller, product=product, skus=[line], **deposit_fields())
    assert campaign.skus.get().credit_fen == 10_000


def test_a_deposit_above_20_percent_called_earnest_is_refused_with_the_limit(product, seller):
    with pytest.raises(ValidationFailed) as refused:
        campaign_create(
            by=seller,
            product=product,
            skus=[sku_line(product, deposit=20_001, credit=20_001)],
            **deposit_fields(),
        )
    assert refused.value.code == "campaign_invalid"
    problems = refused.value.details["problems"]
    assert [(p["code"], p["field"]) for p in problems] == [
        ("deposit_above_earnest_limit", "skus.0.deposit_fen")
    ]
    assert "¥200.00" in problems[0]["message"]


def test_every_broken_rule_is_listed_at_once(product, seller):
    now = clock.now()
    with pytest.raises(ValidationFailed) as refused:
        campaign_create(
            by=seller,
            product=product,
            skus=[sku_line(product, credit=PRICE)],
            **deposit_fields(balance_starts_at=now + timedelta(days=1), ship_days_after_end=None),
        )
    codes = {p["code"] for p in refused.value.details["problems"]}
    assert codes == {"balance_not_positive", "balance_before_deposit_end", "ship_date_missing"}


def test_a_seller_cannot_run_a_campaign_for_another_shops_product(product):
    stranger = make_shop().owner
    with pytest.raises(PermissionDenied):
        campaign_create(by=stranger, product=product, skus=[sku_line(product)], **deposit_fields())


def test_only_an_approved_shops_live_product_can_have_a_campaign():
    pending = make_product(skus=[(9_900, 0)], status=ProductStatus.PENDING_REVIEW)
    with pytest.raises(Conflict) as refused:
        campaign_create(
            by=pending.shop.owner, product=pending, skus=[sku_line(pending)], **deposit_fields()
        )
    assert refused.value.code == "product_unavailable"
    closed_shop = make_shop(status=ShopStatus.SUSPENDED)
    product = make_product(shop=closed_shop, skus=[(120_000, 0)])
    with pytest.raises(Conflict) as refused:
        campaign_create(
            by=closed_shop.owner, product=product, skus=[sku_line(product)], **deposit_fields()
        )
    assert refused.value.code == "shop_unavailable"


def test_a_sku_of_another_product_is_refused(product, seller):
    other = make_product(shop=product.shop, skus=[(10_000, 0)])
    with pytest.raises(ValidationFailed) as refused:
        campaign_create(by=seller, product=product, skus=[sku_line(other)], **deposit_fields())
    assert refused.value.code == "sku_not_found"


def test_an_operator_approves_a_submitted_campaign(product, seller):
    campaign = make_campaign(product=product, approved=False)
    campaign_submit(campaign=campaign, by=seller)
    operator = make_operator()

    campaign_approve(campaign=campaign, by=operator)

    campaign = fresh(campaign)
    assert campaign.status == CampaignStatus.APPROVED
    assert campaign.reviewed_by == operator
    actions = AuditEvent.objects.filter(target_id=campaign.public_id).values_list(
        "action", flat=True
    )
    assert list(actions.order_by("id")) == [
        "presale.campaign_created",
        "presale.campaign_submitted",
        "presale.campaign_approved",
    ]


def test_only_an_operator_approves_or_rejects(product, seller):
    campaign = make_campaign(product=product, approved=False)
    campaign_submit(campaign=campaign, by=seller)
    with pytest.raises(PermissionDenied):
        campaign_approve(campaign=campaign, by=seller)
    with pytest.raises(PermissionDenied):
        campaign_reject(campaign=campaign, by=make_user(), reason="不行")
    assert fresh(campaign).status == CampaignStatus.SUBMITTED


def test_a_draft_cannot_be_approved_before_it_is_submitted(product):
    campaign = make_campaign(product=product, approved=False)
    with pytest.raises(InvalidTransition):
        campaign_approve(campaign=campaign, by=make_operator())


def test_a_rejection_needs_a_reason_the_seller_sees_and_a_fix_resubmits_it(product, seller):
    campaign = make_campaign(product=product, approved=False)
    campaign_submit(campaign=campaign, by=seller)
    operator = make_operator()
    with pytest.raises(ValidationFailed):
        campaign_reject(campaign=campaign, by=operator, reason="  ")

    campaign_reject(campaign=campaign, by=operator, reason="发货日期太晚，请提前。")

    campaign = fresh(campaign)
    assert (campaign.status, campaign.reject_reason) == (
        CampaignStatus.REJECTED,
        "发货日期太晚，请提前。",
    )
    campaign_update(campaign=campaign, by=seller, ship_days_after_end=15)
    campaign = fresh(campaign)
    assert (campaign.status, campaign.ship_days_after_end) == (CampaignStatus.DRAFT, 15)
    campaign_submit(campaign=campaign, by=seller)
    campaign = fresh(campaign)
    assert (campaign.status, campaign.reject_reason) == (CampaignStatus.SUBMITTED, "")


def test_an_update_is_checked_by_the_same_rules(product, seller):
    campaign = make_campaign(product=product, approved=False)
    with pytest.raises(ValidationFailed) as refused:
        campaign_update(
            campaign=campaign, by=seller, skus=[sku_line(product, deposit=30_000, credit=30_000)]
        )
    assert refused.value.details["problems"][0]["code"] == "deposit_above_earnest_limit"
    assert fresh(campaign).skus.get().deposit_fen == 10_000  # nothing changed


def test_a_submitted_or_approved_campaign_cannot_be_edited(product, seller):
    campaign = make_campaign(product=product)
    with pytest.raises(InvalidTransition):
        campaign_update(campaign=campaign, by=seller, per_buyer_limit=5)


def test_another_seller_cannot_touch_a_campaign(product):
    campaign = make_campaign(product=product, approved=False)
    stranger = make_shop().owner
    with pytest.raises(NotFound) as refused:
        campaign_submit(campaign=campaign, by=stranger)
    assert refused.value.code == "campaign_not_found"


def test_a_campaign_whose_window_has_passed_is_not_approved(product, seller):
    campaign = make_campaign(product=product, approved=False)
    campaign_submit(campaign=campaign, by=seller)
    clock.advance(timedelta(days=3, seconds=1))
    with pytest.raises(Conflict) as refused:
        campaign_approve(campaign=campaign, by=make_operator())
    assert refused.value.code == "campaign_window_passed"


def test_the_problems_read_in_english_too(product, seller):
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        campaign_create(
            by=seller,
            product=product,
            skus=[sku_line(product, deposit=20_001, credit=20_001)],
            **deposit_fields(),
        )
    assert refused.value.details["problems"][0]["message"] == (
        "An earnest deposit may not exceed 20% of the pre-sale price (Civil Code, art. 586): "
        "at most ¥200.00."
    )
