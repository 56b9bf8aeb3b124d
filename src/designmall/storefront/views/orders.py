"""Buyer pages of the store: the cart, the checkout, and my orders.

The cart of a visitor who has not logged in lives in the session (``{sku public id:
quantity}``, changed only through ``orders.cart.anonymous_cart_set``); a logged-in
buyer's cart is in the database. Everything else is a call to an orders service:
a refused change is shown as a message, with what was typed kept.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designmall.accounts import addresses
from designmall.core import clock
from designmall.core.errors import Conflict, DomainError, NotFound
from designmall.core.ratelimit import rate_limited
from designmall.o2o import pickup as booth_pickup
from designmall.orders import cart as carts
from designmall.orders import rules, selectors, services
from designmall.orders.checkout import checkout_coupons_suggest, checkout_create
from designmall.orders.coupons import coupon_plan
from designmall.orders.models import CheckoutStatus, Order, OrderStatus
from designmall.orders.selectors import PricedCart, PricedLine
from designmall.payments.services import payment_start
from designmall.presale.cart_balance import CART_BALANCE_PAYABLE, checkout_with_balances_create
from designmall.presale.selectors import balances_payable_with_cart, checkout_balances
from designmall.promotions.selectors import terms_display
from designmall.storefront.order_forms import BOOTH_CHOICE, CheckoutForm
from designmall.storefront.selectors import with_cart_photos, with_line_photos
from designmall.storefront.views.show import visitor_id

SESSION_CART = "cart"
ORDERS_PER_PAGE = 20
_ADDRESS = rules.Delivery.ADDRESS.value
_PICKUP = rules.Delivery.PICKUP.value


# --- the cart ------------------------------------------------------------------------------


def _session_lines(request: HttpRequest) -> dict[str, int]:
    return selectors.clean_anonymous_lines(request.session.get(SESSION_CART))


def _priced(request: HttpRequest, delivery: str = _ADDRESS) -> PricedCart:
    if request.user.is_authenticated:
        return selectors.cart_priced(user=request.user, delivery=delivery)
    return selectors.cart_priced_anonymous(lines=_session_lines(request), delivery=delivery)


@dataclass
class ShopGroup:
    """The cart's lines of one shop (``shop`` None: lines whose SKU no longer exists)."""

    shop: object
    lines: list[PricedLine] = field(default_factory=list)
    items_fen: int = 0
    shipping_fen: int = 0


def _groups(priced: PricedCart) -> list[ShopGroup]:
    parts = {part.shop.pk: part for part in priced.shops}
    groups: dict[object, ShopGroup] = {}
    for line in priced.lines:
        shop = line.sku.product.shop if line.sku is not None else None
        key = shop.pk if shop is not None else None
        groups.setdefault(key, ShopGroup(shop=shop)).lines.append(line)
    for key, group in groups.items():
        if key in parts:
            group.items_fen = parts[key].items_fen
            group.shipping_fen = parts[key].shipping_fen
    return list(groups.values())


def session_cart_merge(request: HttpRequest) -> None:
    """Move the visitor's session cart into the cart of the user who just logged in or
    signed up (call it right after ``auth_login``); what can no longer be bought is said."""
    if not request.user.is_authenticated or SESSION_CART not in request.session:
        return
    lines = request.session.pop(SESSION_CART)
    skipped = carts.cart_merge_anonymous(user=request.user, lines=lines)
    if skipped:
        messages.warning(
            request,
            ngettext(
                "购物车里有 %(n)s 件商品已无法购买，没有保留。",
                "购物车里有 %(n)s 件商品已无法购买，没有保留。",
                len(skipped),
            )
            % {"n": len(skipped)},
        )


CART_COUNT_COOKIE = "dm_cart"


def cart_count_remember(request: HttpRequest, response: HttpResponse, count: int | None = None):
    """Keep the cart's item count in a cookie the header's script shows (``site.js``), so
    no page, cached or not, queries the cart to draw its header. Called where the cart
    changes (add, update, remove, checkout, login, logout); ``count`` when already known."""
    if count is None:
        if request.user.is_authenticated:
            lines = selectors.cart_lines(user=request.user)
            count = sum(quantity for quantity, _price in lines.values())
        else:
            count = sum(_session_lines(request).values())
    if count:
        response.set_cookie(
            CART_COUNT_COOKIE,
            str(min(count, 999)),
            max_age=settings.SESSION_COOKIE_AGE,
            samesite="Lax",
            secure=request.is_secure(),
        )
    else:
        response.delete_cookie(CART_COUNT_COOKIE, samesite="Lax")
    return response


@require_GET
def cart(request: HttpRequest) -> HttpResponse:
    priced = _priced(request)
    with_cart_photos(priced.lines)
    response = render(
        request,
        "storefront/cart.html",
        {"priced": priced, "groups": _groups(priced), "count": len(priced.lines)},
    )
    return cart_count_remember(request, response, sum(line.quantity for line in priced.lines))


def _back(request: HttpRequest) -> HttpResponseRedirect:
    """Back to the page the form was on (``next``, else the referring page), if it is ours."""
    for wanted in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if wanted and url_has_allowed_host_and_scheme(
            wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(wanted)
    return redirect("storefront:cart")


def _quantity(request: HttpRequest, default: int | None = None) -> int | str:
    """The quantity posted, as a number if it is one (the service refuses anything else)."""
    text = request.POST.get("quantity", "").strip()
    if not text and default is not None:
        return default
    try:
        return int(text)
    except ValueError:
        return text[:20]


def _set_line(request: HttpRequest, *, add: bool) -> None:
    sku = request.POST.get("sku", "")[:64]
    quantity = _quantity(request, default=1 if add else None)
    if request.user.is_authenticated:
        if add:
            carts.cart_add(user=request.user, sku_public_id=sku, quantity=quantity)
        else:
            carts.cart_set_quantity(user=request.user, sku_public_id=sku, quantity=quantity)
    else:
        request.session[SESSION_CART] = carts.anonymous_cart_set(
            lines=_session_lines(request), sku_public_id=sku, quantity=quantity, add=add
        )


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """Add ``quantity`` (default 1) of ``sku`` to the cart, then go back where the form was."""
    try:
        _set_line(request, add=True)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            format_html(
                '{} <a href="{}">{} →</a>',
                _("已加入购物车。"),
                reverse("storefront:cart"),
                _("去结算"),
            ),
        )
    return cart_count_remember(request, _back(request))


@require_POST
def cart_update(request: HttpRequest) -> HttpResponse:
    try:
        _set_line(request, add=False)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("数量已更新。"))
    return cart_count_remember(request, redirect("storefront:cart"))


@require_POST
def cart_remove(request: HttpRequest) -> HttpResponse:
    sku = request.POST.get("sku", "")[:64]
    if request.user.is_authenticated:
        carts.cart_remove(user=request.user, sku_public_id=sku)
    else:
        lines = _session_lines(request)
        lines.pop(sku, None)
        request.session[SESSION_CART] = lines
    messages.success(request, _("已从购物车移除。"))
    return cart_count_remember(request, redirect("storefront:cart"))


# --- checkout ------------------------------------------------------------------------------


def _start_address(request: HttpRequest) -> tuple[dict, str | None]:
    """The address a checkout starts from, and its address book id: the saved address the
    buyer picked (``?address=``), else the default one, else the last order's address."""
    wanted = request.GET.get("address", "")[:40]
    found = None
    if wanted:
        try:
            found = addresses.address_of(request.user, wanted)
        except NotFound:
            found = None
    found = found or addresses.address_default(request.user)
    if found is not None:
        return found.as_delivery(), found.public_id
    return _last_address(request.user), None


def _last_address(user) -> dict:
    last = (
        Order.objects.filter(buyer=user, delivery=_ADDRESS)
        .order_by("-created_at", "-id")
        .values_list("address", flat=True)
        .first()
    )
    return last or {}


def _fresh(data, *, by_delivery: dict[str, PricedCart]):
    """The form's data with a new idempotency key and the totals shown now: after any
    refusal the buyer submits a new request, seen at today's prices."""
    data = data.copy()
    data["idempotency_key"] = secrets.token_urlsafe(24)
    data["total_address"] = by_delivery[_ADDRESS].total_fen
    data["total_pickup"] = by_delivery[_PICKUP].total_fen
    return data


_COUPON_REFUSALS = {
    "coupon_covers_nothing": gettext_noop("不适用于购物车中的商品"),
    "coupon_threshold_not_met": gettext_noop("未达到使用门槛"),
}


def _coupon_choices(request: HttpRequest, chosen: list[str] | None, priced: PricedCart) -> dict:
    """The buyer's coupons for the cart, the best combination checked (or the buyer's own
    choice), each with what it saves alone; and what the checked ones save together
    (``chosen_discount_fen``), or why they cannot be used together (``coupon_error``)."""
    try:
        found = checkout_coupons_suggest(buyer=request.user, delivery=_ADDRESS)
    except DomainError:
        return {"coupons": [], "best_discount_fen": 0, "chosen_discount_fen": 0}
    checked = set(found.best if chosen is None else chosen)
    ordered = [u.coupon.public_id for u in found.usable if u.coupon.public_id in checked]
    chosen_discount_fen, coupon_error = 0, ""
    try:
        chosen_discount_fen = coupon_plan(
            buyer=request.user, coupon_public_ids=ordered, priced=priced
        ).discount_fen
    except DomainError as exc:
        coupon_error = exc.message
    return {
        "chosen_discount_fen": chosen_discount_fen,
        "coupon_error": coupon_error,
        "is_best": chosen_discount_fen == found.best_discount_fen,
        "coupons": [
            {
                "public_id": usable.coupon.public_id,
                "name": usable.coupon.template.name,
                "terms": terms_display(usable.coupon.template),
                "discount_fen": usable.discount_fen,
                "refusal": (
                    _(_COUPON_REFUSALS.get(usable.refusal, gettext_noop("暂不可用")))
                    if usable.refusal
                    else ""
                ),
                "checked": usable.coupon.public_id in checked,
            }
            for usable in found.usable
        ],
        "best_discount_fen": found.best_discount_fen,
    }


def _checkout_page(
    request: HttpRequest,
    form: CheckoutForm,
    by_delivery,
    chosen: list[str] | None = None,
    address_id: str | None = None,
    balances_chosen: list[str] | None = None,
) -> HttpResponse:
    priced = by_delivery[_ADDRESS]
    with_cart_photos(priced.lines)
    choices = _coupon_choices(request, chosen, priced)
    discount = choices["chosen_discount_fen"]
    # Pre-orders in their balance window: the buyer may pay their balance with the cart.
    balances = balances_payable_with_cart(buyer_id=request.user.pk, now=clock.now())
    return render(
        request,
        "storefront/checkout.html",
        {
            "form": form,
            "address_fields": [form[name] for name in form.fields if name in form.address_keys],
            "priced": priced,
            "groups": _groups(priced),
            "totals": {key: p.total_fen for key, p in by_delivery.items()},
            "shipping": {key: p.shipping_fen for key, p in by_delivery.items()},
            "hold_minutes": settings.STOCK_HOLD_MINUTES,
            "saved_addresses": addresses.addresses_of(request.user),
            "address_id": address_id,
            "to_pay": {key: p.total_fen - discount for key, p in by_delivery.items()},
            "balances": balances,
            "balances_chosen": set(balances_chosen or ()),
            **choices,
        },
    )


def _pickup_booths(request: HttpRequest, priced: PricedCart) -> list:
    """The booths of the cart's shops the buyer came from today (o2o): pick up there."""
    return booth_pickup.pickup_booths(
        user=request.user,
        visitor_id=visitor_id(request),
        shop_ids=booth_pickup.cart_shop_ids(priced.lines),
    )


def _offer_booths(form: CheckoutForm, booths: list) -> CheckoutForm:
    """Add "pick up at booth X today" to the ways of delivery (``booth:<public id>``)."""
    form.fields["delivery"].choices = [
        *form.fields["delivery"].choices,
        *(
            (
                f"{BOOTH_CHOICE}{booth.public_id}",
                _("今天到展位自提：%(venue)s %(number)s · %(shop)s")
                % {"venue": booth.venue.name, "number": booth.number, "shop": booth.shop.name},
            )
            for booth in booths
        ),
    ]
    return form


@login_required
@require_http_methods(["GET", "POST"])
@rate_limited("checkout")
def checkout(request: HttpRequest) -> HttpResponse:
    """Delivery and address, the total to pay, then the cashier. The total shown is sent
    back as ``expected_total_fen``: if the prices changed meanwhile, the page shows the new
    ones and asks again. The hidden idempotency key makes a double submit one checkout."""
    by_delivery = {d: _priced(request, d) for d in (_ADDRESS, _PICKUP)}
    priced = by_delivery[_ADDRESS]
    booths = _pickup_booths(request, priced)
    if request.method == "GET":
        if not priced.lines:
            messages.info(request, _("购物车是空的，先去挑几件作品吧。"))
            return redirect("storefront:cart")
        if not priced.can_check_out:
            messages.error(request, _("购物车里有无法购买的商品，请先调整后再结算。"))
            return redirect("storefront:cart")
        start, address_id = _start_address(request)
        form = CheckoutForm(
            initial={"delivery": _ADDRESS, **start}
            | {
                "idempotency_key": secrets.token_urlsafe(24),
                "total_address": by_delivery[_ADDRESS].total_fen,
                "total_pickup": by_delivery[_PICKUP].total_fen,
            }
        )
        _offer_booths(form, booths)
        return _checkout_page(request, form, by_delivery, address_id=address_id)

    form = _offer_booths(CheckoutForm(request.POST), booths)
    chosen = request.POST.getlist("coupons")[:20]
    balances_chosen = request.POST.getlist("preorders")[:10]
    if "apply_coupons" in request.POST:
        # The buyer changed the coupons: show what the new choice saves, order nothing yet
        # (what was typed is kept, unchecked: the address may not be filled in yet).
        form = CheckoutForm(initial=dict(_fresh(request.POST, by_delivery=by_delivery).items()))
        return _checkout_page(
            request,
            _offer_booths(form, booths),
            by_delivery,
            chosen,
            balances_chosen=balances_chosen,
        )
    if not form.is_valid():
        return _checkout_page(request, form, by_delivery, chosen, balances_chosen=balances_chosen)
    delivery = form.cleaned_data["delivery"]
    placing = dict(
        buyer=request.user,
        delivery=delivery,
        address=form.address() if delivery == _ADDRESS else None,
        idempotency_key=form.cleaned_data["idempotency_key"],
        expected_total_fen=form.expected_total_fen(),
        coupons=chosen or None,
    )
    try:
        if delivery.startswith(BOOTH_CHOICE):
            if balances_chosen:
                raise Conflict(
                    _("预售尾款不能与展位自提一起支付，请选择快递或现场自提。"),
                    code="balance_not_with_booth_pickup",
                )
            done = booth_pickup.booth_pickup_checkout(
                buyer=request.user,
                visitor_id=visitor_id(request),
                booth=delivery.removeprefix(BOOTH_CHOICE),
                idempotency_key=form.cleaned_data["idempotency_key"],
                expected_total_fen=form.expected_total_fen(),
                coupons=chosen or None,
            )
        elif balances_chosen:  # with pre-orders' balances: one payment for all
            done = checkout_with_balances_create(preorders=balances_chosen, **placing)
        else:
            done = checkout_create(**placing)
    except DomainError as exc:
        by_delivery = {d: _priced(request, d) for d in (_ADDRESS, _PICKUP)}
        if not by_delivery[_ADDRESS].lines:
            messages.error(request, exc.message)
            return redirect("storefront:cart")
        form = _offer_booths(CheckoutForm(_fresh(request.POST, by_delivery=by_delivery)), booths)
        form.is_valid()
        wrong_field = (exc.details or {}).get("field") if exc.code == "invalid_address" else None
        form.add_error(wrong_field if wrong_field in form.address_keys else None, exc.message)
        return _checkout_page(request, form, by_delivery, chosen, balances_chosen=balances_chosen)
    return cart_count_remember(request, _to_cashier(request, done))


def _to_cashier(request: HttpRequest, done) -> HttpResponse:
    try:
        url = payment_start(payment=done.payment, channel="page").url
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("storefront:checkout_done", public_id=done.public_id)
    return redirect(url)


@login_required
@require_GET
def checkout_done(request: HttpRequest, public_id: str) -> HttpResponse:
    """Where the cashier sends the buyer back: the checkout's orders and their status."""
    try:
        done = selectors.checkout_for_buyer(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个结算单。")) from None
    return render(
        request,
        "storefront/orders/checkout_done.html",
        {
            "checkout": done,
            "orders": with_line_photos(done.orders.all()),
            "can_pay": _can_pay(done),
            # The one payment: the checkout's total, plus pre-orders' balances paid with it.
            "to_pay_fen": done.payment.amount_fen,
            "balances": (
                checkout_balances(done.payment)
                if done.payment.payable_type == CART_BALANCE_PAYABLE
                else []
            ),
        },
    )


# --- my orders -----------------------------------------------------------------------------


def _can_pay(checkout) -> bool:
    return checkout.status == CheckoutStatus.PENDING_PAYMENT and clock.now() < checkout.expires_at


def _own_order(request: HttpRequest, public_id: str) -> Order:
    try:
        return selectors.order_for_buyer(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个订单。")) from None


def pickup_qr_svg(code: str) -> str:
    """The pickup code as an inline SVG QR code (scanned at the venue counter)."""
    image = qrcode.make(code, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg") :]
    # Without its size in mm, the drawing fills the box the page gives it.
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg width="100%"', svg)
    return mark_safe(svg)  # made here from our own code: nothing to escape


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.orders_for_buyer(user=request.user), ORDERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    page.object_list = with_line_photos(page.object_list)
    return render(request, "storefront/orders/list.html", {"page": page})


@login_required
@require_GET
def order_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    order = _own_order(request, public_id)
    with_line_photos([order])
    show_code = order.delivery == _PICKUP and order.status in (
        OrderStatus.PAID,
        OrderStatus.READY_FOR_PICKUP,
    )
    return render(
        request,
        "storefront/orders/detail.html",
        {
            "order": order,
            "events": list(selectors.order_events(order=order)),
            "siblings": order.checkout.orders.exclude(pk=order.pk).count(),
            "can_cancel": order.status == OrderStatus.PENDING_PAYMENT,
            "can_pay": order.status == OrderStatus.PENDING_PAYMENT and _can_pay(order.checkout),
            "can_confirm": order.status == OrderStatus.SHIPPED,
            "pickup_qr": pickup_qr_svg(order.pickup_code) if show_code else "",
            "booth_pickup": booth_pickup.booth_pickup_of(order)
            if order.delivery == _PICKUP
            else None,
        },
    )


@login_required
@require_POST
def order_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    order = _own_order(request, public_id)
    try:
        services.order_cancel(order=order, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("订单已取消。"))
    return redirect("storefront:order", public_id=order.public_id)


@login_required
@require_POST
def order_confirm(request: HttpRequest, public_id: str) -> HttpResponse:
    order = _own_order(request, public_id)
    try:
        services.order_confirm_receipt(order=order, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认收货，感谢你的购买。"))
    return redirect("storefront:order", public_id=order.public_id)


@login_required
@require_POST
def order_pay(request: HttpRequest, public_id: str) -> HttpResponse:
    """Pay now: to the cashier of the order's checkout (one payment for all its orders)."""
    order = _own_order(request, public_id)
    if order.status != OrderStatus.PENDING_PAYMENT or not _can_pay(order.checkout):
        messages.error(request, _("这个订单已不能付款。"))
        return redirect("storefront:order", public_id=order.public_id)
    return _to_cashier(request, order.checkout)
