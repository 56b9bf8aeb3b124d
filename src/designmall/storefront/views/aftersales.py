"""After-sales (售后) on the order pages: the buyer's request form and steps, the seller's
answers. Thin: every rule is in ``orders.aftersales``; a refusal is shown as a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from designmall.core.errors import DomainError, NotFound, ValidationFailed
from designmall.core.money import Money
from designmall.orders import aftersales as service
from designmall.orders import selectors
from designmall.orders.models import AfterSalesRequest, OrderLine

MAX_PHOTOS = service.MAX_PHOTOS


def _buyer_request(request: HttpRequest, public_id: str) -> AfterSalesRequest:
    try:
        return selectors.aftersales_for_buyer(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个售后申请。")) from None


def _seller_request(request: HttpRequest, public_id: str) -> AfterSalesRequest:
    try:
        return selectors.aftersales_for_seller(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个售后申请。")) from None


def _to_buyer(found: AfterSalesRequest) -> HttpResponse:
    return redirect("storefront:order", public_id=found.order.public_id)


def _to_seller(found: AfterSalesRequest) -> HttpResponse:
    return redirect("storefront:seller_order", public_id=found.order.public_id)


def _step(request: HttpRequest, run, done: str) -> None:
    try:
        run()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


def _amount_fen(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return Money.from_yuan(text).fen
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("请输入正确的金额，例如 129.00。"), code="invalid_amount"
        ) from None


def _int(text: str) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        return 0


# --- the buyer ------------------------------------------------------------------------------


@login_required
@require_POST
def aftersales_create(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        order = selectors.order_for_buyer(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个订单。")) from None
    line = OrderLine.objects.filter(order=order, pk=_int(request.POST.get("line", ""))).first()
    photos = request.FILES.getlist("photos")[:MAX_PHOTOS]

    def run():
        if line is None:
            raise ValidationFailed(_("请选择商品。"), code="line_required")
        with transaction.atomic():
            created = service.aftersales_create(
                order=order,
                line=line,
                by=request.user,
                kind=request.POST.get("kind", ""),
                reason=request.POST.get("reason", ""),
                quantity=_int(request.POST.get("quantity", "")),
                amount_fen=_amount_fen(request.POST.get("amount", "")),
                note=request.POST.get("note", ""),
            )
            for photo in photos:
                service.aftersales_photo_add(request=created, by=request.user, upload=photo)

    _step(request, run, _("售后申请已提交，等待卖家处理。"))
    return redirect("storefront:order", public_id=order.public_id)


@login_required
@require_POST
def aftersales_return(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _buyer_request(request, public_id)
    _step(
        request,
        lambda: service.aftersales_return_ship(
            request=found,
            by=request.user,
            carrier=request.POST.get("carrier", ""),
            tracking_number=request.POST.get("tracking_number", ""),
        ),
        _("已填写退货运单号，等待卖家收货。"),
    )
    return _to_buyer(found)


@login_required
@require_POST
def aftersales_escalate(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _buyer_request(request, public_id)
    _step(
        request,
        lambda: service.aftersales_escalate(
            request=found, by=request.user, note=request.POST.get("note", "")
        ),
        _("已申请平台介入。"),
    )
    return _to_buyer(found)


@login_required
@require_POST
def aftersales_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _buyer_request(request, public_id)
    _step(
        request,
        lambda: service.aftersales_cancel(request=found, by=request.user),
        _("售后申请已撤销。"),
    )
    return _to_buyer(found)


# --- the seller -----------------------------------------------------------------------------


@login_required
@require_POST
def seller_aftersales_accept(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _seller_request(request, public_id)
    _step(
        request,
        lambda: service.aftersales_accept(request=found, by=request.user),
        _("已同意售后申请。"),
    )
    return _to_seller(found)


@login_required
@require_POST
def seller_aftersales_refuse(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _seller_request(request, public_id)
    _step(
        request,
        lambda: service.aftersales_refuse(
            request=found, by=request.user, reason=request.POST.get("reason", "")
        ),
        _("已拒绝售后申请。"),
    )
    return _to_seller(found)


@login_required
@require_POST
def seller_aftersales_received(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _seller_request(request, public_id)
    _step(
        request,
        lambda: service.aftersales_return_received(request=found, by=request.user),
        _("已确认收到退货，退款已发起。"),
    )
    return _to_seller(found)
