"""The coupon pages: the coupon centre (领券中心) and redeeming codes, claiming on product
and shop pages, my coupons, the checkout's coupon choice with the saving shown, the
seller center's shop coupons and their codes; every refusal a readable message."""

# The orders tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from designmall.core import clock
from designmall.orders.cart import cart_add
from designmall.orders.models import Checkout
from designmall.payments.models import Refund
from designmall.promotions.models import Coupon, CouponState, CouponTemplate, TemplateStatus
from designmall.promotions.selectors import claimable_index_drop
from designmall.promotions.services import code_batch_create, coupon_claim
from tests.orders.conftest import (  # noqa: F401  (fixtures: two shops, buyers, the sandbox)
    ADDRESS,
    _orders_settings,
    _payments_settings,
    buy,
    buyer,
    keys,
    orders_of,
    pay,
    refreshed,
    sandbox_key_dir,
    store,
)
from tests.payments.conftest import run_jobs
from tests.promotions.conftest import make_platform_coupon, make_shop_coupon

pytestmark = pytest.mark.django_db

CENTRE = reverse("storefront:coupons")
MINE = reverse("storefront:my_coupons")
REDEEM = reverse("storefront:coupon_redeem")
CHECKOUT = reverse("storefront:checkout")
SELLER_COUPONS = reverse("storefront:seller_coupons")
SELLER_NEW = reverse("storefront:seller_coupon_new")


@pytest.fixture(autouse=True)
def _fresh_index():
    claimable_index_drop()
    yield
    claimable_index_drop()


def claim_url(template) -> str:
    return reverse("storefront:coupon_claim", args=[template.public_id])


def shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- the coupon centre and claiming -----------------------------------------------------


def test_the_centre_lists_platform_and_shop_coupons_in_both_languages(client, store):
    make_platform_coupon()
    make_shop_coupon(
        shop=store.shop_a,
        name_zh="店铺立减",
        name_en="Shop cash off",
        kind="amount_off",
        threshold_fen=0,
        off_fen=500,
    )
    make_shop_coupon(shop=store.shop_a, name_zh="只发兑换码", distribution="codes")

    page = client.get(CENTRE).text
    assert "设计周满减券" in page and "店铺立减" in page
    assert "只发兑换码" not in page  # handed out by codes only
    assert "满¥100.00减¥20.00" in page and "约 20%" in page

    client.cookies["django_language"] = "en"
    english = client.get(CENTRE).text
    assert "Coupon centre" in english and "Design Week coupon" in english
    assert "Shop cash off" in english and "Claim" in english


def test_claiming_in_the_centre_takes_one_and_a_second_claim_is_refused_readably(
    client, store, buyer
):
    template = make_platform_coupon()
    client.force_login(buyer)

    done = client.post(claim_url(template), {"next": CENTRE}, follow=True)
    assert any(m.startswith("领取成功：设计周满减券") for m in shown(done))
    assert Coupon.objects.filter(buyer=buyer, template=template).count() == 1
    assert 'data-claim-state="claimed"' in done.text

    again = client.post(claim_url(template), {"next": CENTRE}, follow=True)
    assert "您已达到这张优惠券的领取上限。" in shown(again)


def test_a_visitor_is_sent_to_log_in_and_back(client, store):
    template = make_platform_coupon()
    response = client.post(claim_url(template), {"next": CENTRE})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("storefront:login"))
    assert "next=%2Fcoupons%2F" in response["Location"]
    assert not Coupon.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"total_quantity": 1}, "这张优惠券已被领完。"),
        ({"claim_starts_at_in": timedelta(hours=1)}, "这张优惠券还未开始领取。"),
    ],
)
def test_refused_claims_say_why(client, store, buyer, change, message):
    values = dict(change)
    if "claim_starts_at_in" in values:
        values["claim_starts_at"] = clock.now() + values.pop("claim_starts_at_in")
    template = make_platform_coupon(**values)
    if template.total_quantity == 1:
        coupon_claim(template=template, buyer=make_platform_coupon().created_by)
    client.force_login(buyer)

    response = client.post(claim_url(template), follow=True)
    assert message in shown(response)


def test_a_paused_coupon_is_refused_readably(client, store, buyer):
    template = make_platform_coupon()
    CouponTemplate.objects.filter(pk=template.pk).update(status=TemplateStatus.PAUSED)
    client.force_login(buyer)
    response = client.post(claim_url(template), follow=True)
    assert "这张优惠券已暂停或停止发放。" in shown(response)


def test_redeeming_a_code_gives_its_coupon_once(client, store, buyer):
    template = make_platform_coupon(distribution="codes")
    code = code_batch_create(template=template, quantity=1, by=template.created_by).codes.get()
    client.force_login(buyer)

    done = client.post(REDEEM, {"code": code.printed.lower()}, follow=True)
    assert "兑换成功：设计周满减券 已放入“我的优惠券”。" in shown(done)
    assert Coupon.objects.get(buyer=buyer).source == "code"

    again = client.post(REDEEM, {"code": code.printed}, follow=True)
    assert "这个兑换码已被使用。" in shown(again)
    wrong = client.post(REDEEM, {"code": "nope"}, follow=True)
    assert "兑换码格式不正确，应为 16 位字母和数字。" in shown(wrong)
    unknown = client.post(REDEEM, {"code": "0000-0000-0000-0000"}, follow=True)
    assert "兑换码不存在。" in shown(unknown)


# --- product and shop pages ------------------------------------------------------------


def test_product_and_shop_pages_offer_the_coupons_that_apply(client, store, buyer):
    mine = make_shop_coupon(shop=store.shop_a, name_zh="本店满减")
    other = make_shop_coupon(shop=store.shop_b, name_zh="别家满减")
    platform = make_platform_coupon()
    product = reverse("storefront:product", args=[store.product_a.public_id])
    shop = reverse("storefront:shop", args=[store.shop_a.public_id])

    for url in (product, shop):
        page = Client().get(url).text  # a visitor, maybe from the page cache
        assert f'data-coupon="{mine.public_id}"' in page
        assert f'data-coupon="{other.public_id}"' not in page
    assert f'data-coupon="{platform.public_id}"' in Client().get(product).text

    client.force_login(buyer)
    done = client.post(claim_url(mine), {"next": product}, follow=True)
    assert done.redirect_chain[-1][0] == product
    assert 'data-claim-state="claimed"' in done.text


# --- my coupons -------------------------------------------------------------------------


def test_my_coupons_by_tab_with_what_each_saves_and_where_it_applies(client, store, buyer):
    unused = coupon_claim(template=make_shop_coupon(shop=store.shop_a), buyer=buyer)
    used = coupon_claim(
        template=make_platform_coupon(kind="amount_off", threshold_fen=0, off_fen=1_000),
        buyer=buyer,
    )
    pay(buy(buyer, (store.lamp, 1), coupons=[used.public_id]))
    expiring = coupon_claim(
        template=make_platform_coupon(validity="days_from_claim", valid_days=1), buyer=buyer
    )
    client.force_login(buyer)

    page = client.get(MINE).text
    assert f'data-my-coupon="{unused.public_id}"' in page
    assert f'data-my-coupon="{expiring.public_id}"' in page
    assert f'data-my-coupon="{used.public_id}"' not in page
    assert f"限「{store.shop_a.name_zh}」店铺商品" in page
    assert "买满 ¥100.00 省 ¥20.00" in page

    used_tab = client.get(MINE, {"tab": "used"}).text
    assert f'data-my-coupon="{used.public_id}"' in used_tab
    assert "该笔结算共省 ¥10.00" in used_tab

    clock.set_frozen(clock.now() + timedelta(days=2))
    expired = client.get(MINE, {"tab": "expired"}).text
    assert f'data-my-coupon="{expiring.public_id}"' in expired
    client.cookies["django_language"] = "en"
    assert "My coupons" in client.get(MINE).text


# --- the checkout's choice --------------------------------------------------------------


def checkout_form(page) -> dict:
    form = page.context["form"]
    given = form.data if form.is_bound else form.initial
    return {
        "delivery": "address",
        "idempotency_key": given["idempotency_key"],
        "total_address": str(given["total_address"]),
        "total_pickup": str(given["total_pickup"]),
        **ADDRESS,
    }


def test_the_checkout_shows_the_saving_and_recalculates_the_buyers_choice(client, store, buyer):
    platform = coupon_claim(template=make_platform_coupon(), buyer=buyer)  # 满100减20
    shop = coupon_claim(
        template=make_shop_coupon(
            shop=store.shop_a, kind="amount_off", threshold_fen=0, off_fen=500
        ),
        buyer=buyer,
    )
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=1)
    client.force_login(buyer)

    page = client.get(CHECKOUT)
    assert page.context["chosen_discount_fen"] == 2_500  # both, the best
    assert page.context["to_pay"]["address"] == 12_900 + 1_500 - 2_500
    assert "当前选择（最省）" in page.text

    only_shop = client.post(
        CHECKOUT, {**checkout_form(page), "coupons": [shop.public_id], "apply_coupons": "1"}
    )
    assert only_shop.status_code == 200
    assert only_shop.context["chosen_discount_fen"] == 500
    assert "data-discount>- ¥5.00" in only_shop.text
    assert not Checkout.objects.exists()  # recalculating orders nothing
    assert not only_shop.context["form"].is_bound  # and checks no field yet
    assert only_shop.context["form"].initial["name"] == ADDRESS["name"]

    done = client.post(CHECKOUT, {**checkout_form(only_shop), "coupons": [shop.public_id]})
    assert done.status_code == 302
    checkout = Checkout.objects.get()
    assert checkout.discount_fen == 500
    platform.refresh_from_db()
    assert platform.state == CouponState.AVAILABLE


def test_a_choice_that_cannot_stack_is_explained_before_ordering(client, store, buyer):
    first = coupon_claim(template=make_platform_coupon(), buyer=buyer)
    second = coupon_claim(template=make_platform_coupon(name_zh="另一张"), buyer=buyer)
    cart_add(user=buyer, sku_public_id=store.lamp.public_id, quantity=1)
    client.force_login(buyer)
    page = client.get(CHECKOUT)

    both = client.post(
        CHECKOUT,
        {
            **checkout_form(page),
            "coupons": [first.public_id, second.public_id],
            "apply_coupons": "1",
        },
    )
    assert "每次结算只能使用一张平台优惠券。" in both.text
    assert "data-coupon-error" in both.text


# --- the seller center ------------------------------------------------------------------


def seller_values(**typed) -> dict:
    now = clock.now()
    return {
        "name_zh": "店庆满减",
        "name_en": "Anniversary",
        "kind": "spend_off",
        "threshold": "200",
        "off": "30",
        "scope": "shop",
        "validity": "days_from_claim",
        "valid_days": "7",
        "claim_starts_at": now.strftime("%Y-%m-%dT%H:%M"),
        "claim_ends_at": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "distribution": "public",
        "total_quantity": "50",
        "per_buyer_limit": "2",
        **typed,
    }


def test_a_seller_issues_pauses_and_stops_a_shop_coupon(client, store):
    client.force_login(store.shop_a.owner)
    assert client.get(SELLER_NEW).status_code == 200

    made = client.post(SELLER_NEW, seller_values(), follow=True)
    template = CouponTemplate.objects.get()
    assert (template.shop, template.threshold_fen, template.off_fen) == (
        store.shop_a,
        20_000,
        3_000,
    )
    assert (template.per_buyer_limit, template.valid_days) == (2, 7)
    assert "优惠券已发行：店庆满减。" in shown(made)
    assert template.public_id in client.get(SELLER_COUPONS).text

    status_url = reverse("storefront:seller_coupon_status", args=[template.public_id])
    paused = client.post(status_url, {"status": "paused"}, follow=True)
    assert "已暂停发放，已领取的优惠券仍然有效。" in shown(paused)
    client.post(status_url, {"status": "stopped"})
    refused = client.post(status_url, {"status": "active"}, follow=True)
    assert "优惠券当前状态不能执行此操作。" in shown(refused)
    template.refresh_from_db()
    assert template.status == TemplateStatus.STOPPED


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"off": "250"}, "off", "满减券的减免金额须大于 0 且小于使用门槛。"),
        (
            {"kind": "percent_off", "percent_off": "15", "cap": ""},
            "cap",
            "折扣券须设置最高减免金额。",
        ),
        ({"scope": "products"}, "products", "指定商品的优惠券须至少选择一件商品。"),
        ({"validity": "fixed"}, "valid_until", "固定有效期须填写生效和失效时间。"),
        ({"threshold": "abc"}, "threshold", "请输入正确的金额（元），如 99 或 99.50。"),
    ],
)
def test_a_coupon_that_cannot_work_is_refused_on_its_field(client, store, typed, field, message):
    client.force_login(store.shop_a.owner)
    response = client.post(SELLER_NEW, seller_values(**typed))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert not CouponTemplate.objects.exists()


def test_a_seller_generates_codes_and_downloads_them_as_csv(client, store):
    template = make_shop_coupon(shop=store.shop_a, distribution="codes")
    client.force_login(store.shop_a.owner)
    batch_url = reverse("storefront:seller_coupon_batch", args=[template.public_id])

    done = client.post(batch_url, {"quantity": "3", "note": "展位 A12"}, follow=True)
    assert "已生成 3 个兑换码，可下载 CSV 交给印刷或现场发放。" in shown(done)
    batch = template.code_batches.get()
    csv = client.get(reverse("storefront:seller_coupon_batch_csv", args=[batch.public_id]))
    assert csv["Content-Type"].startswith("text/csv")
    rows = csv.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 4 and rows[1].split(",")[1] in {c.printed for c in batch.codes.all()}

    too_many = client.post(batch_url, {"quantity": "1000"})
    assert "这张优惠券已被领完。" in too_many.text


def test_another_sellers_coupons_and_codes_are_404(client, store):
    template = make_shop_coupon(shop=store.shop_b, distribution="codes")
    batch = code_batch_create(template=template, quantity=1, by=store.shop_b.owner)
    client.force_login(store.shop_a.owner)
    for url in (
        reverse("storefront:seller_coupon", args=[template.public_id]),
        reverse("storefront:seller_coupon_batch_csv", args=[batch.public_id]),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("storefront:seller_coupon_status", args=[template.public_id]),
            {"status": "paused"},
        ).status_code
        == 404
    )


def test_seller_coupon_pages_render_in_both_languages(client, store):
    template = make_shop_coupon(shop=store.shop_a)
    client.force_login(store.shop_a.owner)
    for language, word in (("zh-hans", "店铺优惠券"), ("en", "Shop coupons")):
        client.cookies["django_language"] = language
        for url in (
            SELLER_COUPONS,
            SELLER_NEW,
            reverse("storefront:seller_coupon", args=[template.public_id]),
        ):
            page = client.get(url)
            assert page.status_code == 200, url
            assert word in page.text, (language, url)


# --- the seller's refund of a discounted line ------------------------------------------


def test_the_refund_form_caps_a_lines_refund_at_what_it_really_cost(client, store, buyer):
    coupon = coupon_claim(
        template=make_shop_coupon(
            shop=store.shop_a, kind="amount_off", threshold_fen=0, off_fen=10_000
        ),
        buyer=buyer,
    )
    checkout = buy(buyer, (store.lamp, 2), (store.vase, 1), coupons=[coupon.public_id])
    pay(checkout)
    order = refreshed(orders_of(checkout)[0])
    lamps = order.lines.get(sku=store.lamp)
    client.force_login(store.shop_a.owner)
    url = reverse("storefront:seller_refund", args=[order.public_id])
    page = client.get(reverse("storefront:seller_order", args=[order.public_id]))
    assert "还可退 2 件" in page.text
    token = page.context["refund_form"]["form_token"].value()

    refused = client.post(
        url,
        {
            "form_token": token,
            "line": store.lamp.public_id,
            "units": "1",
            "amount": "129",
            "reason": "少发",
        },
    )
    assert refused.status_code == 200
    [message] = refused.context["refund_form"].errors["amount"]
    assert message.startswith("退款金额超过该商品分摊优惠后的实付金额，最多可退")
    assert not Refund.objects.exists()

    token = refused.context["refund_form"]["form_token"].value()
    missing = client.post(
        url, {"form_token": token, "line": store.lamp.public_id, "amount": "1", "reason": "少发"}
    )
    assert "按商品退款时请填写件数。" in missing.context["refund_form"].errors["units"]

    token = missing.context["refund_form"]["form_token"].value()
    half = lamps.paid_fen // 2
    client.post(
        url,
        {
            "form_token": token,
            "line": store.lamp.public_id,
            "units": "1",
            "amount": f"{half // 100}.{half % 100:02d}",
            "reason": "少发",
        },
    )
    run_jobs()
    refund = Refund.objects.get()
    assert (refund.amount_fen, refund.refs["line"], refund.refs["units"]) == (
        half,
        str(lamps.pk),
        "1",
    )


def test_a_page_no_coupon_covers_has_the_strips_empty_mark_as_the_template_draws_it(rf):
    from django.template.loader import render_to_string

    from designmall.storefront.views.browse import coupon_strip

    assert coupon_strip(rf.get("/"), []) == render_to_string(
        "storefront/coupons/_strip.html", {"cards": []}
    )
