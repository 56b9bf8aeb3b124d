"""The pre-sale pages: the product page's pre-sale block and its pre-order button handing
the deposit to the cashier, "我的预售" with its pay-balance and cancel buttons, the seller
center's campaigns (create, edit, submit, cancel; figures and pre-orders), the back
office's force-refund; refusals shown as readable messages, nothing typed lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.ledger.services import ledger_verify
from designmall.payments.models import NotifyOutcome, PaymentStatus, Refund
from designmall.presale.models import Campaign, CampaignStatus, Preorder, PreorderStatus
from designmall.presale.selectors import campaign_skus_verify
from designmall.presale.services import (
    campaign_submit,
    preorder_balance_pay,
    preorder_deposit_create,
)
from tests.factories import make_product, make_user
from tests.presale.conftest import (
    first_sku,
    fresh,
    full_campaign,
    make_campaign,
    pay_deposit,
    run_jobs,
)
from tests.presale.test_fulfilment import balance_paid, deposit_paid, past_ship_date

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _books_balance():
    yield
    assert ledger_verify() == []
    assert campaign_skus_verify() == []


@pytest.fixture
def campaign():
    return make_campaign(quantity=3)


@pytest.fixture
def buyer(client):
    user = make_user()
    client.force_login(user)
    return user


def product_page(client, campaign):
    return client.get(reverse("storefront:product", args=[campaign.product.public_id]))


def text_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the product page ------------------------------------------------------------------------


def test_the_product_page_shows_the_presale_block(client, campaign):
    page = product_page(client, campaign)

    text = text_of(page)
    assert page.status_code == 200
    assert "限量版胡桃木椅 预售" in text
    assert "¥1,000.00" in text  # the pre-sale price
    assert "定金 ¥100.00 抵 ¥150.00" in text
    assert "尾款 ¥850.00" in text
    assert "定金不退" in text  # what a missed balance costs, before paying
    assert "剩余 3 / 3 件" in text
    assert "data-countdown-to" in text
    ship = campaign.promised_ship_date.isoformat()
    assert f"{ship} 前发货" in text
    assert reverse("storefront:presale_preorder", args=[campaign.public_id]) in text


def test_the_presale_block_speaks_english(client, campaign):
    client.cookies["django_language"] = "en"
    page = client.get(
        reverse("storefront:product", args=[campaign.product.public_id]),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    text = text_of(page)
    assert "Limited walnut chair pre-sale" in text
    assert "Deposit ¥100.00 counts as ¥150.00" in text
    assert "定金不退" not in text


def test_a_draft_campaign_is_not_shown(client):
    draft = make_campaign(approved=False)

    assert "data-presale" not in text_of(product_page(client, draft))


def test_the_preorder_button_sends_the_buyer_to_the_cashier_for_the_deposit(
    client, campaign, buyer
):
    sku = first_sku(campaign).sku
    response = client.post(
        reverse("storefront:presale_preorder", args=[campaign.public_id]), {"sku": sku.public_id}
    )

    preorder = Preorder.objects.get(buyer=buyer)
    assert preorder.status == PreorderStatus.PENDING_DEPOSIT
    assert response.status_code == 302
    assert preorder.deposit_payment.out_trade_no in response["Location"]
    assert preorder.deposit_payment.amount_fen == 10_000


def test_a_full_payment_preorder_goes_to_the_cashier_for_the_whole_price(client, buyer):
    campaign = full_campaign()
    assert "全款预订" in text_of(product_page(client, campaign))

    response = client.post(
        reverse("storefront:presale_preorder", args=[campaign.public_id]),
        {"sku": first_sku(campaign).sku.public_id},
    )

    preorder = Preorder.objects.get(buyer=buyer)
    assert response.status_code == 302
    assert preorder.deposit_payment.out_trade_no in response["Location"]
    assert preorder.deposit_payment.amount_fen == first_sku(campaign).price_fen


def test_a_visitor_is_asked_to_log_in_first(client, campaign):
    response = client.post(
        reverse("storefront:presale_preorder", args=[campaign.public_id]),
        {"sku": first_sku(campaign).sku.public_id},
    )

    assert response.status_code == 302
    assert reverse("storefront:login") in response["Location"]
    assert not Preorder.objects.exists()


def test_a_refusal_comes_back_as_a_message_on_the_product_page(client, campaign, buyer):
    url = reverse("storefront:presale_preorder", args=[campaign.public_id])
    sku = first_sku(campaign).sku.public_id
    client.post(url, {"sku": sku})

    again = client.post(url, {"sku": sku}, follow=True)  # the per-buyer limit is 1

    assert again.redirect_chain[-1][0] == reverse(
        "storefront:product", args=[campaign.product.public_id]
    )
    assert any("每人限购 1 件" in m for m in messages_of(again))
    assert Preorder.objects.filter(buyer=buyer).count() == 1


def test_sold_out_shows_on_the_page(client, campaign):
    for _ in range(3):
        preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))

    text = text_of(product_page(client, campaign))

    assert "预售名额已被抢完" in text
    assert "支付定金 ¥100.00" not in text


def test_the_cashier_sends_the_buyer_back_to_my_presales(client, campaign, buyer):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    preorder.refresh_from_db()

    page = client.get(
        reverse("payments:return"), {"out_trade_no": preorder.deposit_payment.out_trade_no}
    )

    assert reverse("storefront:my_presales") in text_of(page)


# --- my pre-orders ---------------------------------------------------------------------------


def test_my_presales_lists_each_preorder_with_its_state(client, campaign, buyer):
    waiting = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))

    page = client.get(reverse("storefront:my_presales"))

    text = text_of(page)
    assert page.status_code == 200
    assert "待付定金" in text
    assert reverse("storefront:presale_pay_deposit", args=[waiting.public_id]) in text
    assert "支付尾款" not in text


def test_the_pay_balance_button_shows_only_while_the_window_is_open(client, campaign, buyer):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    assert pay_deposit(preorder) == NotifyOutcome.CREDITED
    button = reverse("storefront:presale_pay_balance", args=[preorder.public_id])

    before = text_of(client.get(reverse("storefront:my_presales")))
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    during = text_of(client.get(reverse("storefront:my_presales")))

    assert "已付定金" in before and button not in before and "尾款支付时间" in before
    assert button in during and "支付尾款 ¥850.00" in during


def test_paying_the_balance_goes_to_the_cashier_with_the_servers_amount(client, campaign, buyer):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    pay_deposit(preorder)
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))

    response = client.post(
        reverse("storefront:presale_pay_balance", args=[preorder.public_id]),
        {"amount_fen": "1"},
    )

    preorder = fresh(preorder)
    assert response.status_code == 302
    assert preorder.balance_payment.out_trade_no in response["Location"]
    assert preorder.balance_payment.amount_fen == 85_000


def test_paying_the_balance_before_its_window_is_refused_with_a_message(client, campaign, buyer):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    pay_deposit(preorder)

    page = client.post(
        reverse("storefront:presale_pay_balance", args=[preorder.public_id]), follow=True
    )

    assert "尾款支付尚未开始。" in messages_of(page)
    assert fresh(preorder).balance_payment is None


def test_someone_elses_preorder_is_not_found(client, campaign, buyer):
    other = preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))

    response = client.post(reverse("storefront:presale_pay_balance", args=[other.public_id]))

    assert response.status_code == 404


def test_the_buyer_cancels_once_the_ship_date_has_passed(client, campaign, buyer):
    preorder = preorder_deposit_create(buyer=buyer, campaign_sku=first_sku(campaign))
    pay_deposit(preorder)
    clock.set_frozen(campaign.balance_starts_at + timedelta(minutes=1))
    payment = preorder_balance_pay(buyer=buyer, preorder=fresh(preorder))
    from tests.presale.test_balance import pay

    assert pay(payment) == NotifyOutcome.CREDITED
    url = reverse("storefront:presale_cancel", args=[preorder.public_id])

    early = client.post(url, follow=True)
    assert any("承诺发货日期过后" in m for m in messages_of(early))
    ship = campaign.promised_ship_date
    clock.set_frozen(
        timezone.make_aware(
            timezone.datetime(ship.year, ship.month, ship.day) + timedelta(days=1, hours=12)
        )
    )
    assert reverse("storefront:presale_cancel", args=[preorder.public_id]) in text_of(
        client.get(reverse("storefront:my_presales"))
    )
    late = client.post(url, follow=True)

    assert fresh(preorder).status == PreorderStatus.CANCELLED
    assert any("全额原路退回" in m for m in messages_of(late))
    assert Refund.objects.filter(payment__in=[payment.pk, preorder.deposit_payment_id]).count() == 2
    run_jobs()


def test_my_presales_needs_a_login(client):
    response = client.get(reverse("storefront:my_presales"))

    assert response.status_code == 302 and reverse("storefront:login") in response["Location"]


# --- the seller center -----------------------------------------------------------------------


@pytest.fixture
def seller_product(client):
    product = make_product(skus=[(120_000, 0), (150_000, 0)])
    client.force_login(product.shop.owner)
    return product


def campaign_post(product, **changes) -> dict:
    now = timezone.localtime(clock.now())
    fmt = "%Y-%m-%dT%H:%M"
    sku = product.skus.order_by("id").first()
    data = {
        "product": product.public_id,
        "kind": "deposit",
        "title_zh": "新品椅预售",
        "title_en": "New chair pre-sale",
        "earnest": "on",
        "starts_at": (now + timedelta(hours=1)).strftime(fmt),
        "ends_at": (now + timedelta(days=3)).strftime(fmt),
        "balance_starts_at": (now + timedelta(days=4)).strftime(fmt),
        "balance_ends_at": (now + timedelta(days=6)).strftime(fmt),
        "ship_days_after_end": "30",
        "per_buyer_limit": "2",
        "resell_defaulted": "on",
        f"sku_{sku.public_id}_on": "on",
        f"sku_{sku.public_id}_price": "1000",
        f"sku_{sku.public_id}_deposit": "100",
        f"sku_{sku.public_id}_credit": "150",
        f"sku_{sku.public_id}_quantity": "20",
    }
    data.update(changes)
    return data


def test_the_seller_creates_a_draft_campaign(client, seller_product):
    url = reverse("storefront:seller_presale_new") + f"?product={seller_product.public_id}"
    assert client.get(url).status_code == 200

    response = client.post(url, campaign_post(seller_product))

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert (campaign.status, campaign.per_buyer_limit) == (CampaignStatus.DRAFT, 2)
    row = campaign.skus.get()
    assert (row.price_fen, row.deposit_fen, row.credit_fen, row.quantity) == (
        100_000,
        10_000,
        15_000,
        20,
    )


def test_the_campaign_forms_deposit_rule_reads_in_english(client, seller_product):
    # A template msgid with a percent sign is looked up with it doubled (20%%).
    client.cookies["django_language"] = "en"
    url = reverse("storefront:seller_presale_new") + f"?product={seller_product.public_id}"
    page = client.get(url).content.decode()
    assert "The deposit is at most 20% of the pre-sale price" in page
    assert "定金不超过预售价" not in page


def test_a_broken_rule_is_shown_with_everything_typed_kept(client, seller_product):
    url = reverse("storefront:seller_presale_new") + f"?product={seller_product.public_id}"
    sku = seller_product.skus.order_by("id").first()

    typed = campaign_post(seller_product, **{f"sku_{sku.public_id}_deposit": "300"})
    page = client.post(url, typed)

    text = text_of(page)
    assert page.status_code == 200
    assert "定金不能超过预售价的 20%" in text
    assert 'value="新品椅预售"' in text and 'value="300"' in text
    assert not Campaign.objects.exists()


def test_a_typo_in_a_price_is_a_field_error(client, seller_product):
    url = reverse("storefront:seller_presale_new") + f"?product={seller_product.public_id}"
    sku = seller_product.skus.order_by("id").first()

    typed = campaign_post(seller_product, **{f"sku_{sku.public_id}_price": "12x"})
    page = client.post(url, typed)

    assert "请输入正确的金额" in text_of(page)
    assert not Campaign.objects.exists()


def test_the_seller_edits_then_submits_and_sees_the_figures(client, seller_product):
    new = reverse("storefront:seller_presale_new") + f"?product={seller_product.public_id}"
    client.post(new, campaign_post(seller_product))
    campaign = Campaign.objects.get()
    url = reverse("storefront:seller_presale", args=[campaign.public_id])

    client.post(url, campaign_post(seller_product, title_zh="改名后的预售"))
    submitted = client.post(
        reverse("storefront:seller_presale_submit", args=[campaign.public_id]), follow=True
    )

    campaign = fresh(campaign)
    assert (campaign.title_zh, campaign.status) == ("改名后的预售", CampaignStatus.SUBMITTED)
    assert "预售活动已提交审核。" in messages_of(submitted)
    text = text_of(client.get(url))
    assert "已付定金" in text and "逾期未付尾款" in text and "定金 ¥100.00 抵 ¥150.00" in text
    listing = text_of(client.get(reverse("storefront:seller_presales")))
    assert "改名后的预售" in listing


def test_a_submitted_campaign_cannot_be_edited(client, seller_product):
    client.post(
        reverse("storefront:seller_presale_new") + f"?product={seller_product.public_id}",
        campaign_post(seller_product),
    )
    campaign = Campaign.objects.get()
    campaign_submit(campaign=campaign, by=seller_product.shop.owner)

    page = client.post(
        reverse("storefront:seller_presale", args=[campaign.public_id]),
        campaign_post(seller_product, title_zh="偷偷改"),
        follow=True,
    )

    assert "已提交或已通过的预售活动不能再修改。" in messages_of(page)
    assert fresh(campaign).title_zh == "新品椅预售"


def test_another_sellers_campaign_is_not_found(client, seller_product):
    theirs = make_campaign()

    page = client.get(reverse("storefront:seller_presale", args=[theirs.public_id]))

    assert page.status_code == 404


def test_the_seller_cancels_a_live_campaign_and_buyers_are_refunded(client, campaign):
    preorder = preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))
    pay_deposit(preorder)
    client.force_login(campaign.shop.owner)

    page = client.post(
        reverse("storefront:seller_presale_cancel", args=[campaign.public_id]),
        {"reason": "工厂排期变化"},
        follow=True,
    )

    assert fresh(campaign).status == CampaignStatus.CANCELLED
    assert fresh(preorder).status == PreorderStatus.CANCELLED
    assert any("全额退回" in m for m in messages_of(page))
    run_jobs()


def test_the_seller_detail_lists_the_preorders(client, campaign):
    preorder = preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))
    pay_deposit(preorder)
    client.force_login(campaign.shop.owner)

    text = text_of(client.get(reverse("storefront:seller_presale", args=[campaign.public_id])))

    assert preorder.public_id in text and "¥100.00" in text


# --- links and the back office ---------------------------------------------------------------


def test_the_menus_link_the_pages(client, campaign):
    client.force_login(campaign.shop.owner)

    text = text_of(client.get(reverse("storefront:seller")))

    assert reverse("storefront:my_presales") in text
    assert reverse("storefront:seller_presales") in text


def test_an_operator_force_refunds_a_paid_deposit(client, campaign):
    preorder = preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))
    pay_deposit(preorder)
    client.force_login(make_user(role=Role.OPERATOR))
    url = reverse("admin:presale_preorder_changelist")

    client.post(url, {"action": "force_refund", "_selected_action": [preorder.pk]})
    client.post(
        url,
        {
            "action": "force_refund",
            "_selected_action": [preorder.pk],
            "apply": "1",
            "reason": "买家投诉，运营退款",
        },
    )

    assert fresh(preorder).status == PreorderStatus.CANCELLED
    refund = Refund.objects.get(payment=preorder.deposit_payment)
    assert refund.amount_fen == 10_000
    run_jobs()
    assert fresh(preorder.deposit_payment).refunded_fen == 10_000


def test_force_refund_gives_back_a_forfeited_deposit(client, campaign):
    from designmall.presale.services import preorder_default

    preorder = preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))
    pay_deposit(preorder)
    clock.set_frozen(campaign.balance_ends_at + timedelta(minutes=1))
    preorder_default(preorder=preorder)
    run_jobs()
    assert fresh(preorder).status == PreorderStatus.DEFAULTED
    client.force_login(make_user(role=Role.OPERATOR))

    client.post(
        reverse("admin:presale_preorder_changelist"),
        {
            "action": "force_refund",
            "_selected_action": [preorder.pk],
            "apply": "1",
            "reason": "商家同意退还定金",
        },
    )
    run_jobs()

    payment = fresh(preorder.deposit_payment)
    assert payment.status == PaymentStatus.PAID and payment.refunded_fen == 10_000


def test_the_presales_page_lists_live_campaigns_and_the_header_links_it(client, campaign):
    draft = make_campaign(approved=False, title_zh="还没通过的预售")

    page = client.get(reverse("storefront:presales"))

    text = text_of(page)
    assert page.status_code == 200
    assert campaign.title_zh in text and draft.title_zh not in text
    assert reverse("storefront:product", args=[campaign.product.public_id]) in text
    assert "定金 ¥100.00 抵 ¥150.00" in text
    assert reverse("storefront:presales") in text  # the header


def test_an_operator_cancels_a_live_campaign_with_a_reason(client, campaign):
    preorder = preorder_deposit_create(buyer=make_user(), campaign_sku=first_sku(campaign))
    pay_deposit(preorder)
    client.force_login(make_user(role=Role.OPERATOR))

    client.post(
        reverse("admin:presale_campaign_changelist"),
        {
            "action": "cancel",
            "_selected_action": [campaign.pk],
            "apply": "1",
            "reason": "作品未通过质检",
        },
    )

    assert fresh(campaign).status == CampaignStatus.CANCELLED
    assert fresh(preorder).status == PreorderStatus.CANCELLED
    run_jobs()
    assert fresh(preorder.deposit_payment).refunded_fen == 10_000


# --- what to ship ----------------------------------------------------------------------------


def test_the_seller_center_lists_pre_orders_to_ship_with_late_ones_flagged(client):
    campaign = make_campaign(quantity=3)
    preorder = balance_paid(campaign, deposit_paid(campaign))
    client.force_login(campaign.shop.owner)

    on_time = text_of(client.get(reverse("storefront:seller_presales")))
    past_ship_date(campaign)
    late = text_of(client.get(reverse("storefront:seller_presales")))

    assert f'data-to-ship="{preorder.public_id}"' in on_time
    assert preorder.order.public_id in on_time
    assert "status-rejected" not in on_time
    assert "status-rejected" in late  # the 已逾期 flag


def test_the_back_office_filters_the_pre_orders_late_to_ship(client):
    late_campaign = make_campaign(quantity=3)
    late = balance_paid(late_campaign, deposit_paid(late_campaign))
    on_time_campaign = make_campaign(quantity=3, ship_days_after_end=90)
    on_time = balance_paid(on_time_campaign, deposit_paid(on_time_campaign))
    past_ship_date(late_campaign)
    client.force_login(make_user(is_staff=True, is_superuser=True))

    page = text_of(client.get(reverse("admin:presale_preorder_changelist") + "?late=yes"))

    assert late.public_id in page
    assert on_time.public_id not in page
