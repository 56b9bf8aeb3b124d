"""The pre-sale API: campaigns read by anyone with their terms, a pre-order made once per
Idempotency-Key, the deposit and the balance (the server's amount; 409 outside its
window), the buyer's pre-orders and cancellation, the seller's campaigns and the operators'
review and refunds; errors in the one shape."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.catalog.models import Sku
from designmall.core import clock
from designmall.ledger.services import escrow_balance
from designmall.payments.models import NotifyOutcome, Payment
from designmall.presale import tasks
from designmall.presale.models import Campaign, CampaignStatus, Preorder, PreorderStatus
from tests.api.conftest import ABSENT_ID, assert_error
from tests.api.conftest import anon as anon
from tests.api.conftest import api_as as api_as
from tests.factories import make_operator, make_product, make_user
from tests.presale.conftest import (
    CREDIT,
    DEPOSIT,
    PRICE,
    deposit_fields,
    first_sku,
    fresh,
    full_campaign,
    make_campaign,
    pay_deposit,
    run_jobs,
    sku_line,
    taken,
)
from tests.presale.test_fulfilment import pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_balance")]


@pytest.fixture
def campaign():
    return make_campaign(quantity=3)


def sku_of(campaign: Campaign) -> str:
    return first_sku(campaign).sku.public_id


def as_json(fields: dict) -> dict:
    return {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in fields.items()
    }


def test_anyone_reads_approved_campaigns_with_their_terms(anon, campaign):
    make_campaign(approved=False)

    listed = anon.get("/presales").json()
    assert [item["public_id"] for item in listed["items"]] == [campaign.public_id]

    body = anon.get(f"/presales/{campaign.public_id}").json()
    assert body["kind"] == "deposit" and body["phase"] == "deposit"
    assert body["promised_ship_date"] == campaign.promised_ship_date.isoformat()
    (sku,) = body["skus"]
    assert (sku["price_fen"], sku["deposit_fen"], sku["credit_fen"]) == (PRICE, DEPOSIT, CREDIT)
    assert sku["balance_fen"] == PRICE - CREDIT and sku["left"] == 3
    assert body["terms"]["on_default"] == "deposit_forfeited"
    assert "定金不退" in body["terms"]["on_default_text"]
    assert body["terms"]["unit_on_default"] == "resold"

    english = anon.client.get(
        f"/api/v1/presales/{campaign.public_id}", headers={"Accept-Language": "en"}
    ).json()
    assert english["terms"]["on_default_text"] != body["terms"]["on_default_text"]

    assert_error(anon.get(f"/presales/{ABSENT_ID}"), 404, "campaign_not_found")
    draft = Campaign.objects.exclude(pk=campaign.pk).get()
    assert_error(anon.get(f"/presales/{draft.public_id}"), 404, "campaign_not_found")


def test_a_pre_order_is_made_once_per_idempotency_key(api_as, campaign):
    buyer = make_user()
    api = api_as(buyer)
    api.headers["Idempotency-Key"] = "po-1"
    body = {"sku": sku_of(campaign)}

    first = api.post(f"/presales/{campaign.public_id}/preorders", body)
    again = api.post(f"/presales/{campaign.public_id}/preorders", body)

    assert first.status_code == 201, first.content
    made = first.json()
    assert again.status_code == 201 and again.json()["public_id"] == made["public_id"]
    assert made["status"] == "pending_deposit"
    assert made["deposit_payment"]["amount_fen"] == DEPOSIT
    assert made["deposit_payment"]["pay_url"]
    assert made["terms"]["on_default"] == "deposit_forfeited"
    assert taken(first_sku(campaign)) == 1
    other = api.post(
        f"/presales/{campaign.public_id}/preorders",
        {"sku": sku_of(campaign), "delivery": "address"},
    )
    assert_error(other, 409, "idempotency_key_reused")
    # Without a key the buyer's limit (1) refuses a second one.
    del api.headers["Idempotency-Key"]
    assert_error(
        api.post(f"/presales/{campaign.public_id}/preorders", body), 409, "presale_limit_reached"
    )
    assert_error(
        api.post(f"/presales/{campaign.public_id}/preorders", {"sku": ABSENT_ID}),
        404,
        "sku_not_found",
    )
    assert_error(
        api_as(campaign.shop.owner).post(f"/presales/{campaign.public_id}/preorders", body),
        403,
        "own_campaign",
    )


def test_the_balance_is_the_servers_and_refused_outside_its_window(api_as, campaign):
    buyer = make_user()
    api = api_as(buyer)
    made = api.post(f"/presales/{campaign.public_id}/preorders", {"sku": sku_of(campaign)}).json()
    path = f"/preorders/{made['public_id']}"

    assert api.post(f"{path}/deposit").json()["amount_fen"] == DEPOSIT
    assert_error(api.post(f"{path}/balance"), 409, "deposit_unpaid")
    preorder = Preorder.objects.get(public_id=made["public_id"])
    assert pay_deposit(preorder) == NotifyOutcome.CREDITED
    assert_error(api.post(f"{path}/deposit"), 409, "deposit_not_payable")
    assert_error(api.post(f"{path}/balance", {"amount_fen": 1}), 409, "balance_not_open")

    # A later change of the catalog's price does not touch the locked balance.
    Sku.objects.filter(pk=first_sku(campaign).sku_id).update(price_fen=1)
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    balance = api.post(f"{path}/balance", {"amount_fen": 1})
    assert balance.status_code == 200, balance.content
    assert balance.json()["amount_fen"] == PRICE - CREDIT
    assert balance.json()["pay_url"]
    assert_error(
        api_as(make_user()).post(f"{path}/balance"), 404, "preorder_not_found"
    )  # someone else's

    mine = api.get("/preorders").json()
    assert [item["public_id"] for item in mine["items"]] == [made["public_id"]]
    assert mine["items"][0]["can_pay_balance"] is True
    assert api_as(make_user()).get("/preorders").json()["items"] == []

    clock.set_frozen(campaign.balance_ends_at + timedelta(seconds=1))
    assert_error(api.post(f"{path}/balance"), 409, "balance_closed")


def test_a_paid_balance_becomes_an_order_and_the_buyer_cancels_only_when_shipping_is_late(
    api_as, campaign
):
    buyer = make_user()
    api = api_as(buyer)
    made = api.post(f"/presales/{campaign.public_id}/preorders", {"sku": sku_of(campaign)}).json()
    path = f"/preorders/{made['public_id']}"
    assert pay_deposit(Preorder.objects.get(public_id=made["public_id"])) == "credited"
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    balance = api.post(f"{path}/balance").json()
    assert pay(Payment.objects.get(public_id=balance["public_id"])) == NotifyOutcome.CREDITED

    body = api.get(path).json()
    assert body["status"] == "fully_paid" and body["order"] and body["order_status"] == "paid"
    assert body["late"] is False
    assert_error(api.post(f"{path}/cancel"), 409, "ship_date_not_missed")

    seller = api_as(campaign.shop.owner)
    ship = seller.get("/seller/presale-shipments").json()
    assert [row["preorder"]["public_id"] for row in ship] == [made["public_id"]]
    assert ship[0]["is_late"] is False

    clock.set_frozen(
        clock.now() + timedelta(days=(campaign.promised_ship_date - clock.now().date()).days + 2)
    )
    assert seller.get("/seller/presale-shipments").json()[0]["is_late"] is True
    late = api_as(make_operator()).get("/operator/preorders", {"late": "true"}).json()
    assert [item["public_id"] for item in late["items"]] == [made["public_id"]]

    cancelled = api.post(f"{path}/cancel", {"reason": "逾期未发货"})
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    run_jobs()
    assert api.get(path).json()["order_status"] == "refunded"
    assert escrow_balance() == 0


def test_sellers_write_campaigns_and_operators_review_them(api_as):
    product = make_product(skus=[(120_000, 0)])
    seller = api_as(product.shop.owner)
    operator = api_as(make_operator())
    fields = as_json(deposit_fields())
    line = sku_line(product)

    bad = seller.post(
        "/seller/presales",
        {**fields, "product": product.public_id, "skus": [{**line, "deposit_fen": 30_000}]},
    )
    error = assert_error(bad, 422, "campaign_invalid")
    assert "deposit_above_earnest_limit" in {p["code"] for p in error["details"]["problems"]}

    made = seller.post("/seller/presales", {**fields, "product": product.public_id, "skus": [line]})
    assert made.status_code == 201, made.content
    public_id = made.json()["public_id"]
    assert made.json()["status"] == "draft"
    assert_error(
        api_as(make_user()).get(f"/seller/presales/{public_id}"), 404, "campaign_not_found"
    )

    edited = seller.patch(f"/seller/presales/{public_id}", {"title_en": "Walnut chair"})
    assert edited.status_code == 200, edited.content
    assert edited.json()["title_en"] == "Walnut chair"
    assert seller.post(f"/seller/presales/{public_id}/submit").json()["status"] == "submitted"

    queue = operator.get("/operator/presales", {"status": "submitted"}).json()
    assert [item["public_id"] for item in queue["items"]] == [public_id]
    rejected = operator.post(f"/operator/presales/{public_id}/reject", {"reason": "图片不清楚"})
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reject_reason"] == "图片不清楚"
    assert seller.post(f"/seller/presales/{public_id}/submit").json()["status"] == "submitted"
    approved = operator.post(f"/operator/presales/{public_id}/approve")
    assert approved.json()["status"] == "approved"
    assert_error(
        seller.patch(f"/seller/presales/{public_id}", {"title_zh": "改"}), 409, "invalid_transition"
    )
    assert_error(
        api_as(make_user()).post(f"/operator/presales/{public_id}/approve"), 403, "role_required"
    )

    listed = seller.get("/seller/presales").json()
    assert [item["public_id"] for item in listed["items"]] == [public_id]
    assert listed["items"][0]["preorders"]["pending_deposit"] == 0
    cancelled = seller.post(f"/seller/presales/{public_id}/cancel", {"reason": "停产"})
    assert cancelled.json()["status"] == CampaignStatus.CANCELLED


def test_an_operator_refunds_a_forfeited_deposit_in_full(api_as, campaign):
    buyer = make_user()
    made = (
        api_as(buyer)
        .post(f"/presales/{campaign.public_id}/preorders", {"sku": sku_of(campaign)})
        .json()
    )
    preorder = Preorder.objects.get(public_id=made["public_id"])
    assert pay_deposit(preorder) == NotifyOutcome.CREDITED
    clock.set_frozen(campaign.balance_ends_at + timedelta(seconds=1))
    tasks.balance_defaults()
    assert fresh(preorder).status == PreorderStatus.DEFAULTED

    operator = api_as(make_operator())
    refunded = operator.post(f"/operator/preorders/{preorder.public_id}/refund", {"reason": "客诉"})
    assert refunded.status_code == 200, refunded.content
    run_jobs()
    assert fresh(preorder).deposit_payment.refunded_fen == DEPOSIT
    assert_error(
        operator.post(f"/operator/preorders/{preorder.public_id}/refund", {"reason": "again"}),
        409,
        "nothing_to_refund",
    )
    assert escrow_balance() == 0


def test_a_full_payment_pre_sale_asks_for_the_whole_price(api_as, anon):
    campaign = full_campaign()
    body = anon.get(f"/presales/{campaign.public_id}").json()
    assert body["kind"] == "full"
    (sku,) = body["skus"]
    assert (sku["pay_now_fen"], sku["balance_fen"]) == (PRICE, 0)

    made = api_as(make_user()).post(
        f"/presales/{campaign.public_id}/preorders", {"sku": sku_of(campaign)}
    )
    assert made.status_code == 201, made.content
    assert made.json()["deposit_payment"]["amount_fen"] == PRICE
    assert made.json()["balance_fen"] == 0
