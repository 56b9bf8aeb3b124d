"""Coupon pages: the coupon centre (领券中心) with its redeem-code box, claiming on
product, shop and centre pages, the buyer's own coupons, and the seller center's shop
coupons (issue, pause/resume/stop, redemption-code batches and their CSV).

Everything goes through ``promotions.services`` and ``promotions.selectors``; a refusal
is shown as the service's own readable message."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designmall.catalog.models import Category, Product, Shop, ShopStatus
from designmall.core.errors import DomainError, NotFound
from designmall.orders.models import Checkout
from designmall.promotions import selectors, services
from designmall.promotions.models import CouponState, CouponTemplate, Issuer, TemplateStatus
from designmall.storefront import selectors as store_selectors
from designmall.storefront.coupon_forms import CodeBatchForm, RedeemForm, ShopCouponForm

PER_PAGE = 30


def _safe_next(request: HttpRequest, fallback: str) -> str:
    for wanted in (request.POST.get("next"), request.GET.get("next")):
        if wanted and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return wanted
    return fallback


# --- what the pages show of a coupon ---------------------------------------------------------


def coupon_cards(templates: list[CouponTemplate], user) -> list[dict]:
    """Each template as a card: its terms, what it saves, where it applies, and whether
    the viewer may claim it (``claimed`` of ``per_buyer_limit``)."""
    claimed = selectors.claims_by_buyer(user if user.is_authenticated else None, templates)
    cards = []
    for template in templates:
        taken = claimed.get(template.pk, 0)
        cards.append(
            {
                "template": template,
                "terms": selectors.terms_display(template),
                "saving": selectors.saving_display(template),
                "scope": selectors.scope_display(template),
                "claimed": taken,
                "sold_out": template.remaining == 0,
                "limit_reached": taken >= template.per_buyer_limit,
                "percent_left": template.remaining * 100 // max(template.total_quantity, 1),
            }
        )
    return cards


def product_coupons(request: HttpRequest, *, product_id: int, shop_id: int, category_id) -> str:
    """The 领券 strip of a product page (drawn on every render: what is left changes)."""
    from django.template.loader import render_to_string

    templates = list(
        selectors.templates_claimable_covering(
            product_id=product_id, shop_id=shop_id, category_id=category_id
        ).prefetch_related("categories", "products")[:6]
    )
    if not templates:
        return ""
    return render_to_string(
        "storefront/coupons/_strip.html",
        {"cards": coupon_cards(templates, request.user), "next_path": request.get_full_path()},
        request=request,
    )


# --- the coupon centre and claiming ----------------------------------------------------------


@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    """Every coupon claimable now: the platform's, then the shops'; and the redeem box."""
    issuer = request.GET.get("issuer", "")
    found = selectors.templates_claimable().prefetch_related("categories", "products")
    if issuer in Issuer.values:
        found = found.filter(issuer=issuer)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "storefront/coupons/centre.html",
        {
            "page": page,
            "cards": coupon_cards(list(page.object_list), request.user),
            "issuer": issuer if issuer in Issuer.values else "",
            "redeem_form": RedeemForm(),
        },
    )


@require_POST
def claim(request: HttpRequest, public_id: str) -> HttpResponse:
    back = _safe_next(request, reverse("storefront:coupons"))
    if not request.user.is_authenticated:
        messages.info(request, _("请先登录，再领取优惠券。"))
        return redirect(f"{reverse('storefront:login')}?{urlencode({'next': back})}")
    try:
        template = selectors.template_by_public_id(public_id)
        coupon = services.coupon_claim(template=template, buyer=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("领取成功：%(name)s，%(until)s 前有效。")
            % {"name": template.name, "until": coupon.valid_until.strftime("%Y-%m-%d %H:%M")},
        )
    return redirect(back)


@require_POST
def redeem(request: HttpRequest) -> HttpResponse:
    """Redeem a printed code (兑换码)."""
    back = _safe_next(request, reverse("storefront:coupons"))
    if not request.user.is_authenticated:
        messages.info(request, _("请先登录，再兑换优惠券。"))
        return redirect(f"{reverse('storefront:login')}?{urlencode({'next': back})}")
    form = RedeemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写兑换码。"))
        return redirect(back)
    try:
        coupon = services.coupon_claim_by_code(code=form.cleaned_data["code"], buyer=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request, _("兑换成功：%(name)s 已放入“我的优惠券”。") % {"name": coupon.template.name}
    )
    return redirect(f"{reverse('storefront:my_coupons')}")


# --- my coupons -----------------------------------------------------------------------------

TABS = {
    "unused": CouponState.AVAILABLE,
    "used": CouponState.USED,
    "expired": CouponState.EXPIRED,
}


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The buyer's coupons: unused (including those held by an unpaid checkout), used and
    expired; each with what it saves and where it applies."""
    tab = request.GET.get("tab", "unused")
    if tab not in TABS:
        tab = "unused"
    if tab == "unused":
        found = selectors.coupons_of_buyer(buyer=request.user, state=CouponState.AVAILABLE) | (
            selectors.coupons_of_buyer(buyer=request.user, state=CouponState.LOCKED)
        )
        found = found.order_by("valid_until", "id")
    else:
        found = selectors.coupons_of_buyer(buyer=request.user, state=TABS[tab])
        if tab == "used":
            found = found.order_by("-used_at", "-id")
        else:
            found = found.order_by("-valid_until", "-id")
    found = found.prefetch_related("template__categories", "template__products")
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    coupons = list(page.object_list)
    checkouts = {
        c.public_id: c
        for c in Checkout.objects.filter(
            buyer=request.user, public_id__in={c.checkout_ref for c in coupons if c.checkout_ref}
        )
    }
    rows = [
        {
            "coupon": coupon,
            "state": selectors.coupon_state(coupon),
            "terms": selectors.terms_display(coupon.template),
            "saving": selectors.saving_display(coupon.template),
            "scope": selectors.scope_display(coupon.template),
            "checkout": checkouts.get(coupon.checkout_ref),
        }
        for coupon in coupons
    ]
    return render(
        request,
        "storefront/coupons/mine.html",
        {"page": page, "rows": rows, "tab": tab, "redeem_form": RedeemForm()},
    )


# --- the seller center ----------------------------------------------------------------------


def _seller_shop(request: HttpRequest) -> Shop:
    shop = store_selectors.seller_shop(request.user)
    if shop is None or shop.status not in (ShopStatus.APPROVED, ShopStatus.SUSPENDED):
        raise Http404(_("你还没有开通的店铺。"))
    return shop


def _own_template(request: HttpRequest, public_id: str) -> tuple[Shop, CouponTemplate]:
    shop = _seller_shop(request)
    try:
        return shop, selectors.shop_template(shop, public_id)
    except NotFound:
        raise Http404(_("没有找到这张优惠券。")) from None


def _coupon_form(shop: Shop, data=None) -> ShopCouponForm:
    categories = [(c.slug, c.name) for c in Category.objects.order_by("position", "id")]
    products = [
        (p.public_id, p.title)
        for p in Product.objects.filter(shop=shop).order_by("-created_at", "-id")[:200]
    ]
    return ShopCouponForm(data, categories=categories, products=products)


@login_required
@require_GET
def seller_list(request: HttpRequest) -> HttpResponse:
    shop = _seller_shop(request)
    status = request.GET.get("status", "")
    if status not in TemplateStatus.values:
        status = ""
    page = Paginator(selectors.shop_templates(shop, status=status or None), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "storefront/seller/coupons.html",
        {
            "shop": shop,
            "page": page,
            "status": status,
            "filters": TemplateStatus.choices,
            "rows": [
                {"template": t, "terms": selectors.terms_display(t)} for t in page.object_list
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def seller_new(request: HttpRequest) -> HttpResponse:
    shop = _seller_shop(request)
    form = _coupon_form(shop, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        values = form.service_values()
        categories = list(Category.objects.filter(slug__in=form.cleaned_data["categories"]))
        products = list(
            Product.objects.filter(shop=shop, public_id__in=form.cleaned_data["products"])
        )
        try:
            template = services.shop_coupon_create(
                by=request.user, shop=shop, categories=categories, products=products, **values
            )
        except DomainError as exc:
            field = (exc.details or {}).get("field")
            field = ShopCouponForm.FIELD_OF.get(field, field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("优惠券已发行：%(name)s。") % {"name": template.name})
            return redirect("storefront:seller_coupon", public_id=template.public_id)
    return render(request, "storefront/seller/coupon_new.html", {"shop": shop, "form": form})


def _seller_detail(request, shop, template, batch_form=None) -> HttpResponse:
    return render(
        request,
        "storefront/seller/coupon_detail.html",
        {
            "shop": shop,
            "template": template,
            "terms": selectors.terms_display(template),
            "saving": selectors.saving_display(template),
            "scope": selectors.scope_display(template),
            "batches": list(selectors.code_batches_of(template)),
            "batch_form": batch_form or CodeBatchForm(),
            "can_pause": template.status == TemplateStatus.ACTIVE,
            "can_resume": template.status == TemplateStatus.PAUSED,
            "can_stop": template.status != TemplateStatus.STOPPED,
        },
    )


@login_required
@require_GET
def seller_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    shop, template = _own_template(request, public_id)
    return _seller_detail(request, shop, template)


_STATUS_DONE = {
    TemplateStatus.ACTIVE: gettext_noop("已恢复发放。"),
    TemplateStatus.PAUSED: gettext_noop("已暂停发放，已领取的优惠券仍然有效。"),
    TemplateStatus.STOPPED: gettext_noop("已停止发放，已领取的优惠券仍然有效。"),
}


@login_required
@require_POST
def seller_status(request: HttpRequest, public_id: str) -> HttpResponse:
    _shop, template = _own_template(request, public_id)
    status = request.POST.get("status", "")
    if status not in TemplateStatus.values:
        messages.error(request, _("未知的操作。"))
    else:
        try:
            services.template_set_status(template=template, status=status, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _(_STATUS_DONE[TemplateStatus(status)]))
    return redirect("storefront:seller_coupon", public_id=template.public_id)


@login_required
@require_POST
def seller_batch(request: HttpRequest, public_id: str) -> HttpResponse:
    shop, template = _own_template(request, public_id)
    form = CodeBatchForm(request.POST)
    if form.is_valid():
        try:
            batch = services.code_batch_create(
                template=template,
                quantity=form.cleaned_data["quantity"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error("quantity" if exc.code == "invalid_quantity" else None, exc.message)
        else:
            messages.success(
                request,
                _("已生成 %(n)d 个兑换码，可下载 CSV 交给印刷或现场发放。") % {"n": batch.quantity},
            )
            return redirect("storefront:seller_coupon", public_id=template.public_id)
    template.refresh_from_db()
    return _seller_detail(request, shop, template, batch_form=form)


def csv_response(batches) -> HttpResponse:
    """Code batches as a CSV download (with a byte order mark: spreadsheets read UTF-8)."""
    batches = list(batches)
    text = selectors.code_batches_csv(batches)
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    name = batches[0].public_id if len(batches) == 1 else "codes"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def seller_batch_csv(request: HttpRequest, public_id: str) -> HttpResponse:
    shop = _seller_shop(request)
    try:
        batch = selectors.shop_code_batch(shop, public_id)
    except NotFound:
        raise Http404(_("没有找到这批兑换码。")) from None
    return csv_response([batch])
