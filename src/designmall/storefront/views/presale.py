"""Pre-sale pages: the buyer's pre-order (from the product page's pre-sale block) handed
to the cashier, "我的预售" with its pay-deposit, pay-balance and cancel buttons, and the
seller center's campaigns (list, create, edit, submit, cancel; deposits, balances,
defaults and the pre-orders of each).

Every read is ``presale.selectors``, every change a pre-sale service; a refused change
comes back as a readable message on the page it came from (a form keeps what was typed).
Payments go through the existing cashier (``payment_start``), which sends the buyer back
to "我的预售".
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designmall.catalog.models import Product, ProductStatus, ShopStatus
from designmall.core import clock
from designmall.core.errors import DomainError
from designmall.payments.models import PaymentStatus
from designmall.payments.services import payment_start
from designmall.presale import rules, selectors, services
from designmall.presale.cart_balance import CART_BALANCE_PAYABLE
from designmall.presale.models import (
    Campaign,
    CampaignSku,
    CampaignStatus,
    Preorder,
    PreorderStatus,
)
from designmall.storefront import selectors as store_selectors
from designmall.storefront.presale_forms import CampaignForm, initial_of

EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.REJECTED)


def _product_url(campaign: Campaign) -> str:
    return reverse("storefront:product", kwargs={"public_id": campaign.product.public_id})


# --- the buyer ------------------------------------------------------------------------------


@require_GET
def campaigns(request: HttpRequest) -> HttpResponse:
    """The pre-sales on now: taking deposits or pre-orders, about to, or taking balances."""
    now = clock.now()
    rows = []
    for campaign in selectors.campaigns_listed(now=now):
        skus = list(campaign.skus.all())
        rows.append(
            {
                "campaign": campaign,
                "phase": selectors.campaign_phase(campaign, now),
                "sku": min(skus, key=lambda r: r.price_fen) if skus else None,
                "left": sum(r.left for r in skus),
            }
        )
    return render(request, "storefront/presale/list.html", {"rows": rows})


@require_POST
def preorder(request: HttpRequest, public_id: str) -> HttpResponse:
    """Pre-order one unit of a SKU of a live campaign and go to the cashier to pay its
    deposit (定金预售) or its whole price (全款预售)."""
    campaign = (
        Campaign.objects.filter(public_id=public_id[:40], status=CampaignStatus.APPROVED)
        .select_related("product")
        .first()
    )
    if campaign is None:
        raise Http404(_("没有找到这个预售活动。"))
    back = _product_url(campaign)
    if not request.user.is_authenticated:
        messages.info(request, _("请先登录，再预订。"))
        return redirect(f"{reverse('storefront:login')}?{urlencode({'next': back})}")
    row = CampaignSku.objects.filter(
        campaign=campaign, sku__public_id=request.POST.get("sku", "")[:40]
    ).first()
    if row is None:
        messages.error(request, _("请选择预售的规格。"))
        return redirect(back)
    try:
        create = (
            services.preorder_deposit_create
            if campaign.is_deposit
            else services.preorder_full_create
        )
        made = create(buyer=request.user, campaign_sku=row)
        url = payment_start(payment=made.deposit_payment, channel="page").url
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return redirect(url)


def _own_preorder(request: HttpRequest, public_id: str) -> Preorder:
    found = (
        Preorder.objects.filter(public_id=public_id[:40], buyer_id=request.user.pk)
        .select_related("campaign", "deposit_payment", "balance_payment")
        .first()
    )
    if found is None:
        raise Http404(_("没有找到这个预售订单。"))
    return found


def _row(preorder: Preorder, now) -> dict:
    campaign = preorder.campaign
    phase = selectors.campaign_phase(campaign, now)
    ship = campaign.promised_ship_date
    status = preorder.status
    balance = preorder.balance_payment
    # Its balance in a cart checkout waiting for payment: paid (or cancelled) there.
    in_checkout = (
        status == PreorderStatus.DEPOSIT_PAID
        and balance is not None
        and balance.payable_type == CART_BALANCE_PAYABLE
        and balance.status == PaymentStatus.PENDING
        and now < balance.expires_at
    )
    return {
        "preorder": preorder,
        "in_checkout": balance.payable_id if in_checkout else None,
        "campaign": campaign,
        "phase": phase,
        "ship": ship,
        "can_pay_deposit": status == PreorderStatus.PENDING_DEPOSIT
        and now < preorder.hold_expires_at,
        "can_pay_balance": status == PreorderStatus.DEPOSIT_PAID
        and phase == selectors.Phase.BALANCE
        and not in_checkout,
        "balance_later": status == PreorderStatus.DEPOSIT_PAID
        and phase in (selectors.Phase.DEPOSIT, selectors.Phase.WAITING),
        "can_cancel": status == PreorderStatus.FULLY_PAID
        and ship is not None
        and rules.local_date(now) > ship,
    }


@login_required
@require_GET
def my_presales(request: HttpRequest) -> HttpResponse:
    """ "我的预售": each pre-order with its state and what can be done with it now."""
    now = clock.now()
    return render(
        request,
        "storefront/presale/mine.html",
        {
            "rows": [_row(p, now) for p in selectors.buyer_preorders(buyer_id=request.user.pk)],
            "notices": [
                {"notice": n, "text": services.notice_text(n)}
                for n in selectors.buyer_notices(buyer_id=request.user.pk)
            ],
        },
    )


@login_required
@require_POST
def pay_deposit(request: HttpRequest, public_id: str) -> HttpResponse:
    """Back to the cashier for a deposit not paid yet (its hold still running)."""
    found = _own_preorder(request, public_id)
    payment = found.deposit_payment
    if found.status != PreorderStatus.PENDING_DEPOSIT or payment is None:
        messages.error(request, _("这笔定金已无需支付。"))
        return redirect("storefront:my_presales")
    if payment.status != PaymentStatus.PENDING or clock.now() >= found.hold_expires_at:
        messages.error(request, _("定金支付已超时，名额已释放。"))
        return redirect("storefront:my_presales")
    try:
        url = payment_start(payment=payment, channel="page").url
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("storefront:my_presales")
    return redirect(url)


@login_required
@require_POST
def pay_balance(request: HttpRequest, public_id: str) -> HttpResponse:
    """Pay the balance (the server's amount; nothing sent by the page counts)."""
    found = _own_preorder(request, public_id)
    try:
        payment = services.preorder_balance_pay(buyer=request.user, preorder=found)
        url = payment_start(payment=payment, channel="page").url
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("storefront:my_presales")
    return redirect(url)


@login_required
@require_POST
def cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    """The buyer cancels a pre-order whose promised ship date passed unshipped: everything
    paid is refunded in full."""
    found = _own_preorder(request, public_id)
    try:
        services.preorder_cancel(
            preorder=found, by=request.user, reason=_("承诺发货日期已过，买家取消")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("预售订单已取消，已付款项将全额原路退回。"))
    return redirect("storefront:my_presales")


# --- the seller -----------------------------------------------------------------------------


def _seller_shop(request: HttpRequest):
    shop = store_selectors.seller_shop(request.user)
    if shop is None or shop.status not in (ShopStatus.APPROVED, ShopStatus.SUSPENDED):
        return None
    return shop


def _own_campaign(request: HttpRequest, public_id: str) -> Campaign:
    shop = _seller_shop(request)
    found = selectors.campaign_of_shop(shop_id=shop.pk, public_id=public_id[:40]) if shop else None
    if found is None:
        raise Http404(_("没有找到这个预售活动。"))
    return found


# The seller center shows this many pre-orders to ship (the API pages through all of them).
TO_SHIP_SHOWN = 200


@login_required
@require_GET
def seller_campaigns(request: HttpRequest) -> HttpResponse:
    shop = _seller_shop(request)
    if shop is None:
        messages.error(request, _("店铺开通后才能创建预售。"))
        return redirect("storefront:seller")
    now = clock.now()
    campaigns = selectors.seller_campaigns(shop_id=shop.pk)
    return render(
        request,
        "storefront/presale/seller_list.html",
        {
            "shop": shop,
            "rows": [{"campaign": c, "phase": selectors.campaign_phase(c, now)} for c in campaigns],
            "to_ship": list(selectors.to_ship_for_shop(shop, now=now)[:TO_SHIP_SHOWN]),
            "products": list(
                Product.objects.filter(shop=shop, status=ProductStatus.LIVE).order_by(
                    "-updated_at", "-id"
                )[:200]
            ),
        },
    )


def _campaign_form_page(request, *, form, product, campaign=None) -> HttpResponse:
    return render(
        request,
        "storefront/presale/seller_form.html",
        {"form": form, "product": product, "campaign": campaign, "sku_rows": form.sku_rows()},
    )


def _skus_of(product: Product) -> list:
    return list(product.skus.filter(is_active=True).order_by("price_fen", "id"))


@login_required
@require_http_methods(["GET", "POST"])
def seller_campaign_new(request: HttpRequest) -> HttpResponse:
    """A new draft campaign for one of the shop's live products (``?product=``)."""
    shop = _seller_shop(request)
    if shop is None or shop.status != ShopStatus.APPROVED:
        messages.error(request, _("店铺开通后才能创建预售。"))
        return redirect("storefront:seller")
    ref = (request.POST.get("product") or request.GET.get("product") or "")[:40]
    product = Product.objects.filter(shop=shop, public_id=ref, status=ProductStatus.LIVE).first()
    if product is None:
        messages.error(request, _("请选择一件已上架的商品。"))
        return redirect("storefront:seller_presales")
    form = CampaignForm(request.POST or None, skus=_skus_of(product))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                by=request.user,
                product=product,
                skus=form.cleaned_data["skus"],
                **form.service_fields(),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("预售活动已保存为草稿，提交审核后由运营人员审核。"))
            return redirect("storefront:seller_presale", public_id=campaign.public_id)
    return _campaign_form_page(request, form=form, product=product)


@login_required
@require_http_methods(["GET", "POST"])
def seller_campaign(request: HttpRequest, public_id: str) -> HttpResponse:
    """A campaign: its form while it is a draft (or rejected), else its terms; its figures
    and pre-orders."""
    campaign = _own_campaign(request, public_id)
    editable = campaign.status in EDITABLE
    form = None
    if editable:
        form = CampaignForm(
            request.POST or None, skus=_skus_of(campaign.product), initial=initial_of(campaign)
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.campaign_update(
                    campaign=campaign,
                    by=request.user,
                    skus=form.cleaned_data["skus"],
                    **form.service_fields(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("预售活动已保存。"))
                return redirect("storefront:seller_presale", public_id=campaign.public_id)
    elif request.method == "POST":
        messages.error(request, _("已提交或已通过的预售活动不能再修改。"))
        return redirect("storefront:seller_presale", public_id=campaign.public_id)
    now = clock.now()
    return render(
        request,
        "storefront/presale/seller_detail.html",
        {
            "campaign": campaign,
            "phase": selectors.campaign_phase(campaign, now),
            "form": form,
            "sku_rows": form.sku_rows() if form else [],
            "product": campaign.product,
            "figures": selectors.campaign_figures(campaign_id=campaign.pk),
            "preorders": selectors.campaign_preorders(campaign_id=campaign.pk),
        },
    )


@login_required
@require_POST
def seller_campaign_submit(request: HttpRequest, public_id: str) -> HttpResponse:
    campaign = _own_campaign(request, public_id)
    try:
        services.campaign_submit(campaign=campaign, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("预售活动已提交审核。"))
    return redirect("storefront:seller_presale", public_id=campaign.public_id)


@login_required
@require_POST
def seller_campaign_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    """The seller cancels its live campaign: every pre-order is refunded in full."""
    campaign = _own_campaign(request, public_id)
    try:
        services.campaign_cancel(
            campaign=campaign, by=request.user, reason=request.POST.get("reason", "")[:1000]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("预售活动已取消，买家已付款项将全额退回。"))
    return redirect("storefront:seller_presale", public_id=campaign.public_id)
