"""The seller center's orders: my shops' paid orders, to ship, hand over at the venue
or refund. Other shops' orders are 404 (``orders.selectors.order_for_seller``); every
change is an orders service, and a refused one is shown on the order's page with
what was typed still in the form."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from designmall.core.errors import DomainError, NotFound
from designmall.core.formtokens import form_token_issue, form_token_key
from designmall.core.money import format_fen
from designmall.orders import rules, selectors, services
from designmall.orders.models import Order, OrderStatus
from designmall.storefront.order_forms import PickupForm, RefundForm, ShipForm
from designmall.storefront.selectors import with_line_photos

ORDERS_PER_PAGE = 20
# The statuses a seller filters by, in the order work flows.
STATUS_FILTERS = [
    OrderStatus.PAID,
    OrderStatus.READY_FOR_PICKUP,
    OrderStatus.SHIPPED,
    OrderStatus.COMPLETED,
    OrderStatus.REFUNDED,
]


def _own_order(request: HttpRequest, public_id: str) -> Order:
    try:
        return selectors.order_for_seller(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个订单。")) from None


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    orders = selectors.orders_for_seller(user=request.user, status=status or None)
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = with_line_photos(page.object_list)
    return render(
        request,
        "storefront/seller/orders.html",
        {
            "page": page,
            "status": status,
            "filters": [(s.value, s.label) for s in STATUS_FILTERS],
        },
    )


def _detail(
    request: HttpRequest,
    order: Order,
    *,
    ship_form: ShipForm | None = None,
    pickup_form: PickupForm | None = None,
    refund_form: RefundForm | None = None,
) -> HttpResponse:
    """The order's page; a form given here (bound, with errors) replaces the blank one."""

    def can(target: str) -> bool:
        return rules.can_transition(order.status, target, delivery=order.delivery)

    with_line_photos([order])
    return render(
        request,
        "storefront/seller/order_detail.html",
        {
            "order": order,
            "events": list(selectors.order_events(order=order)),
            "can_ship": can(OrderStatus.SHIPPED),
            "can_ready": can(OrderStatus.READY_FOR_PICKUP),
            "can_hand_over": can(OrderStatus.PICKED_UP),
            "can_refund": order.status in rules.PAID_STATES,
            "ship_form": ship_form or ShipForm(),
            "pickup_form": pickup_form or PickupForm(),
            "refund_form": refund_form or _refund_form(request, order),
        },
    )


def _refused(form: forms.Form, exc: DomainError, *, field: str | None = None) -> None:
    form.add_error(field, exc.message)


@login_required
@require_GET
def order_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    return _detail(request, _own_order(request, public_id))


@login_required
@require_POST
def order_ship(request: HttpRequest, public_id: str) -> HttpResponse:
    order = _own_order(request, public_id)
    form = ShipForm(request.POST)
    if form.is_valid():
        try:
            services.order_ship(order=order, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            field = {"invalid_carrier": "carrier", "invalid_tracking_number": "tracking_number"}
            _refused(form, exc, field=field.get(exc.code))
        else:
            messages.success(request, _("已发货，买家可以在订单里看到运单号。"))
            return redirect("storefront:seller_order", public_id=order.public_id)
    return _detail(request, order, ship_form=form)


@login_required
@require_POST
def order_ready(request: HttpRequest, public_id: str) -> HttpResponse:
    order = _own_order(request, public_id)
    try:
        services.order_ready_for_pickup(order=order, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已备货，买家可以凭自提码到展会现场提货。"))
    return redirect("storefront:seller_order", public_id=order.public_id)


@login_required
@require_POST
def order_pickup(request: HttpRequest, public_id: str) -> HttpResponse:
    order = _own_order(request, public_id)
    form = PickupForm(request.POST)
    if form.is_valid():
        try:
            services.order_pickup_confirm(
                order=order, code=form.cleaned_data["code"], by=request.user
            )
        except DomainError as exc:
            _refused(form, exc, field="code" if exc.code == "wrong_pickup_code" else None)
        else:
            messages.success(request, _("自提码正确，已交付，订单完成。"))
            return redirect("storefront:seller_order", public_id=order.public_id)
    return _detail(request, order, pickup_form=form)


def _refund_purpose(order: Order) -> str:
    return f"order_refund:{order.public_id}"


def _refund_lines(order: Order) -> list[tuple[str, str]]:
    """The order's lines as the refund form offers them: what each really cost (after its
    share of the coupons) and what of it may still be refunded."""
    choices = []
    for line in order.lines.select_related("sku").order_by("id"):
        units, fen = services.line_refundable(order, line)
        label = _("%(title)s × %(n)d · 实付 %(paid)s · 还可退 %(units)d 件、%(left)s") % {
            "title": line.product_title + (f" · {line.sku_label}" if line.sku_label else ""),
            "n": line.quantity,
            "paid": format_fen(line.paid_fen),
            "units": units,
            "left": format_fen(fen),
        }
        choices.append((line.sku.public_id, label))
    return choices


def _refund_form(request: HttpRequest, order: Order) -> RefundForm:
    """A blank refund form with a new one-time token."""
    token = form_token_issue(user=request.user, purpose=_refund_purpose(order))
    return RefundForm(initial={"form_token": token}, lines=_refund_lines(order))


def _new_token(form: RefundForm, request: HttpRequest, order: Order) -> RefundForm:
    """The refused form, as typed, with a new one-time token: the refused submit used
    its token up (submitting it again would only answer the refusal again)."""
    form.data = form.data.copy()
    form.data["form_token"] = form_token_issue(user=request.user, purpose=_refund_purpose(order))
    return form


_AMOUNT_REFUSALS = ("refund_exceeds_paid", "invalid_amount", "refund_exceeds_line")


def _refund_message(exc: DomainError) -> str:
    refundable = (exc.details or {}).get("refundable_fen")
    if exc.code == "refund_exceeds_paid" and refundable is not None:
        return exc.message + _("最多还可退 %(amount)s。") % {"amount": format_fen(refundable)}
    if exc.code == "idempotency_key_reused":
        return _("这个表单已经提交过了，请在新的表单里重新填写。")
    return exc.message


@login_required
@require_POST
def order_refund(request: HttpRequest, public_id: str) -> HttpResponse:
    """Refund with the form's one-time token as the Idempotency-Key: a double click or a
    resubmission shows the first submit's refund (or refusal), never a second refund."""
    order = _own_order(request, public_id)
    form = RefundForm(request.POST, lines=_refund_lines(order))
    if form.is_valid():
        try:
            key = form_token_key(
                form.cleaned_data["form_token"],
                user=request.user,
                purpose=_refund_purpose(order),
            )
            line = None
            if form.cleaned_data["line"]:
                line = order.lines.filter(sku__public_id=form.cleaned_data["line"]).first()
            refund = services.order_refund(
                order=order,
                amount_fen=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                idempotency_key=key,
                line=line,
                units=form.cleaned_data["units"] if line is not None else None,
            )
        except DomainError as exc:
            bad_amount = exc.code in _AMOUNT_REFUSALS
            field = "amount" if bad_amount else "units" if exc.code == "invalid_units" else None
            form.add_error(field, _refund_message(exc))
            form = _new_token(form, request, order)
        else:
            if refund.replayed:
                messages.info(
                    request,
                    _("这笔退款已经提交过了（%(amount)s，退款单 %(refund)s），没有再次退款。")
                    % {"amount": format_fen(refund.amount_fen), "refund": refund.public_id},
                )
            else:
                messages.success(request, _("退款已提交，款项将原路退回给买家。"))
            return redirect("storefront:seller_order", public_id=order.public_id)
    elif form.has_error("form_token"):  # shown above the form, not as a hidden field's
        form.add_error(None, form.errors.pop("form_token")[0])
        form = _new_token(form, request, order)
    return _detail(request, order, refund_form=form)
