"""After-sales (售后): a buyer's request for a refund only (仅退款) or a return and refund
(退货退款) on one line of a paid order, and every step after it.

Each service is one transaction that locks the request, checks who acts (the buyer on
their own orders, the seller on their shops' orders, an operator on escalations; anyone
else gets 404 as if the request did not exist), moves it along
``aftersales_rules.TRANSITIONS`` and records the step twice: an ``AfterSalesEvent`` (the
request's timeline, shown to both sides) and an audit row.

Money goes back only through ``services.order_refund`` (the seller's refund path), with
an Idempotency-Key derived from the request, so a repeated or retried step never refunds
twice, and never more than the order's total less its refunds. A line's requests together
never ask for more than the line cost nor more units than it had.

Locks: the request first, then (inside ``order_refund``) the payment and the order.
Creating a request locks its order, so two requests on one line queue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import InvalidTransition, NotFound, ValidationFailed
from designmall.core.images import intake_image
from designmall.orders import aftersales_rules as asr
from designmall.orders import rules
from designmall.orders.models import (
    AfterSalesEvent,
    AfterSalesKind,
    AfterSalesPhoto,
    AfterSalesReason,
    AfterSalesRequest,
    AfterSalesStatus,
    Order,
    OrderLine,
)
from designmall.orders.services import order_refund

NOTE_MAX = 500
MAX_PHOTOS = 6


def _not_found() -> NotFound:
    return NotFound(_("没有找到这个售后申请。"), code="aftersales_not_found")


def _is_operator(user: User | None) -> bool:
    return bool(user and (user.is_superuser or user.has_role(Role.OPERATOR)))


def _text(value: str, *, required: bool = False, code: str = "reason_required") -> str:
    value = " ".join((value or "").split())
    if len(value) > NOTE_MAX:
        raise ValidationFailed(_("最多 %(n)s 个字。") % {"n": NOTE_MAX}, code="text_too_long")
    if required and not value:
        raise ValidationFailed(_("请填写原因。"), code=code)
    return value


def line_paid_fen(line: OrderLine) -> int:
    """What the buyer really paid for a line: its total less any discount shared onto it
    (``discount_fen``, when coupons give lines one)."""
    return line.line_total_fen - int(getattr(line, "discount_fen", 0) or 0)


def line_claimed(line: OrderLine, *, exclude_pk: int | None = None) -> tuple[int, int]:
    """Money and units of ``line`` asked for by requests still standing: ``(fen, units)``."""
    standing = AfterSalesRequest.objects.filter(line=line).exclude(
        status__in=[s.value for s in asr.RELEASED_STATES]
    )
    if exclude_pk is not None:
        standing = standing.exclude(pk=exclude_pk)
    sums = standing.aggregate(fen=Sum("amount_fen"), units=Sum("quantity"))
    return int(sums["fen"] or 0), int(sums["units"] or 0)


def line_claimable(line: OrderLine) -> tuple[int, int]:
    """What of ``line`` may still be asked for: ``(fen, units)``."""
    fen, units = line_claimed(line)
    return asr.line_claimable(
        paid_fen=line_paid_fen(line), quantity=line.quantity, claimed_fen=fen, claimed_qty=units
    )


def _locked(request: AfterSalesRequest) -> AfterSalesRequest:
    return (
        AfterSalesRequest.objects.select_for_update()
        .select_related("order__shop", "order__checkout", "line")
        .get(pk=request.pk)
    )


def _as_buyer(request: AfterSalesRequest, by: User) -> AfterSalesRequest:
    if request.order.buyer_id != by.pk:
        raise _not_found()
    return request


def _as_seller(request: AfterSalesRequest, by: User) -> AfterSalesRequest:
    if request.order.shop.owner_id != by.pk:
        raise _not_found()
    return request


def _as_operator(request: AfterSalesRequest, by: User) -> AfterSalesRequest:
    if not _is_operator(by):
        raise _not_found()
    return request


def _record(
    request: AfterSalesRequest,
    *,
    before: str,
    by: User | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    AfterSalesEvent.objects.create(
        request=request,
        from_status=before,
        to_status=request.status,
        by=by if getattr(by, "pk", None) else None,
        reason=reason,
        data=data or {},
        at=clock.now(),
    )
    audit_record(
        actor=by,
        action=f"aftersales.{request.status}",
        target=request,
        from_state=before,
        to_state=request.status,
        reason=reason,
        data={"order": request.order.public_id, **(data or {})},
    )


def _move(
    request: AfterSalesRequest,
    to: str,
    *,
    by: User | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> AfterSalesRequest:
    before = request.status
    if not asr.can_transition(before, to, kind=request.kind):
        raise InvalidTransition(
            _("售后申请当前状态为「%(status)s」，不能执行此操作。")
            % {"status": request.get_status_display()},
            code="aftersales_invalid_transition",
            details={"from": before, "to": to},
        )
    request.status = to
    request.updated_at = clock.now()
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=["status", "updated_at", *fields])
    _record(request, before=before, by=by, reason=reason, data=data)
    return request


def refund_key(request: AfterSalesRequest) -> str:
    """The Idempotency-Key of a request's refund: one refund per request, however often
    its refund step runs."""
    return f"aftersales:{request.public_id}"


def _refund(request: AfterSalesRequest, *, by: User | None) -> AfterSalesRequest:
    """Pay the request's refund through the order's refund path, then mark it refunded."""
    order = request.order
    actor = by if by is not None and (_is_operator(by) or order.shop.owner_id == by.pk) else None
    refund = order_refund(
        order=order,
        amount_fen=request.amount_fen,
        reason=_("售后退款 %(id)s") % {"id": request.public_id},
        by=actor or order.shop.owner,
        idempotency_key=refund_key(request),
        request_fingerprint=f"{refund_key(request)}:{request.amount_fen}",
        # Named on the refund: capped by what the line really cost after its share of the
        # coupons less its refunds, and counted by the line's later refunds.
        line=request.line,
    )
    return _move(
        request,
        AfterSalesStatus.REFUNDED,
        by=by,
        data={"refund": refund.public_id, "amount_fen": request.amount_fen},
        refund=refund,
    )


def _accept(request: AfterSalesRequest, *, by: User | None, reason: str = "") -> AfterSalesRequest:
    _move(request, AfterSalesStatus.ACCEPTED, by=by, reason=reason, reply_due_at=None)
    if request.kind == AfterSalesKind.REFUND_ONLY:
        return _refund(request, by=by)
    return request


# --- the buyer -----------------------------------------------------------------------------


@transaction.atomic
def aftersales_create(
    *,
    order: Order,
    line: OrderLine,
    by: User,
    kind: str,
    reason: str,
    quantity: int,
    amount_fen: int | None = None,
    note: str = "",
) -> AfterSalesRequest:
    """The buyer asks for a refund only or a return and refund of ``quantity`` units of
    ``line`` of their own ``order`` (others' are 404), for ``amount_fen`` (default: the
    units' share of what the line cost). Refused outside the after-sales window
    (``aftersales_window_closed``; a return before delivery ``return_before_delivery``),
    beyond the line's units (``quantity_exceeds_line``) or money (``amount_exceeds_paid``)
    not yet asked for, or beyond what the order has left to refund."""
    order = Order.objects.select_for_update().select_related("shop", "checkout").get(pk=order.pk)
    if order.buyer_id != by.pk:
        raise NotFound(_("没有找到这个订单。"), code="order_not_found")
    if line.order_id != order.pk:
        raise NotFound(_("没有找到这件商品。"), code="line_not_found")
    if kind not in AfterSalesKind.values:
        raise ValidationFailed(
            _("请选择售后类型。"), code="invalid_kind", details={"kinds": AfterSalesKind.values}
        )
    if reason not in AfterSalesReason.values:
        raise ValidationFailed(
            _("请选择售后原因。"),
            code="invalid_reason",
            details={"reasons": AfterSalesReason.values},
        )
    note = _text(note)
    now = clock.now()
    problem = asr.window_problem(
        order_status=order.status,
        kind=kind,
        received_at=order.received_at,
        now=now,
        days=settings.AFTERSALES_WINDOW_DAYS,
    )
    if problem == "aftersales_window_closed":
        raise ValidationFailed(
            _("已超过售后期限（收货后 %(days)s 天）。") % {"days": settings.AFTERSALES_WINDOW_DAYS},
            code=problem,
        )
    if problem == "return_before_delivery":
        raise ValidationFailed(
            _("商品尚未发出，请申请仅退款。"), code=problem, details={"kind": kind}
        )
    if problem:
        raise InvalidTransition(
            _("订单当前状态为「%(status)s」，不能申请售后。")
            % {"status": order.get_status_display()},
            code="order_not_eligible",
            details={"status": order.status},
        )
    left_fen, left_units = line_claimable(line)
    if not rules.is_quantity(quantity) or quantity > left_units:
        raise ValidationFailed(
            _("申请数量超过可申请数量。"),
            code="quantity_exceeds_line",
            details={"quantity": quantity, "available": left_units},
        )
    if amount_fen is None:
        amount_fen = min(
            left_fen,
            asr.default_amount_fen(
                paid_fen=line_paid_fen(line), quantity=line.quantity, units=quantity
            ),
        )
    order_left = rules.refundable_fen(total_fen=order.total_fen, committed_fen=order.refunded_fen)
    cap = min(left_fen, order_left)
    if not rules.is_quantity(amount_fen) or amount_fen > cap:
        raise ValidationFailed(
            _("退款金额超过该商品实付金额。"),
            code="amount_exceeds_paid",
            details={"amount_fen": amount_fen, "refundable_fen": cap},
        )
    request = AfterSalesRequest.objects.create(
        order=order,
        line=line,
        kind=kind,
        reason=reason,
        note=note,
        quantity=quantity,
        amount_fen=amount_fen,
        created_at=now,
        updated_at=now,
        reply_due_at=now + timedelta(days=settings.AFTERSALES_SELLER_REPLY_DAYS),
    )
    _record(
        request,
        before="",
        by=by,
        reason=note,
        data={"kind": kind, "reason": reason, "quantity": quantity, "amount_fen": amount_fen},
    )
    return request


@transaction.atomic
def aftersales_photo_add(
    *, request: AfterSalesRequest, by: User, upload: UploadedFile
) -> AfterSalesPhoto:
    """The buyer adds a photo (image intake: JPEG, PNG or WebP, re-encoded) while the
    request is open, at most ``MAX_PHOTOS``."""
    request = _as_buyer(_locked(request), by)
    if request.status in {s.value for s in asr.FINAL_STATES}:
        raise InvalidTransition(_("售后已结束，不能再添加图片。"), code="aftersales_finished")
    if request.photos.count() >= MAX_PHOTOS:
        raise ValidationFailed(
            _("最多上传 %(n)s 张图片。") % {"n": MAX_PHOTOS}, code="too_many_images"
        )
    clean = intake_image(upload)
    photo = AfterSalesPhoto.objects.create(
        request=request, image=clean.as_file(), added_at=clock.now()
    )
    audit_record(actor=by, action="aftersales.photo_added", target=request)
    return photo


@transaction.atomic
def aftersales_escalate(
    *, request: AfterSalesRequest, by: User, note: str = ""
) -> AfterSalesRequest:
    """The buyer asks the platform to decide a request the seller refused."""
    request = _as_buyer(_locked(request), by)
    return _move(request, AfterSalesStatus.ESCALATED, by=by, reason=_text(note))


@transaction.atomic
def aftersales_return_ship(
    *, request: AfterSalesRequest, by: User, carrier: str, tracking_number: str
) -> AfterSalesRequest:
    """The buyer sent the goods of an accepted return back, by ``carrier`` (a code of
    ``rules.CARRIERS``) with its tracking number."""
    request = _as_buyer(_locked(request), by)
    carrier = (carrier or "").strip().upper() if isinstance(carrier, str) else ""
    if carrier not in rules.CARRIERS:
        raise ValidationFailed(
            _("请选择快递公司。"),
            code="invalid_carrier",
            details={"carriers": list(rules.CARRIERS)},
        )
    number = rules.normalize_tracking_number(tracking_number)
    if not number:
        raise ValidationFailed(
            _("运单号应为 8 至 30 位字母或数字。"), code="invalid_tracking_number"
        )
    return _move(
        request,
        AfterSalesStatus.RETURN_SHIPPED,
        by=by,
        data={"carrier": carrier, "tracking_number": number},
        return_carrier=carrier,
        return_tracking_number=number,
    )


@transaction.atomic
def aftersales_cancel(*, request: AfterSalesRequest, by: User) -> AfterSalesRequest:
    """The buyer withdraws a request (before a return was sent and before any refund)."""
    request = _as_buyer(_locked(request), by)
    return _move(request, AfterSalesStatus.CANCELLED, by=by, reply_due_at=None)


# --- the seller ----------------------------------------------------------------------------


@transaction.atomic
def aftersales_accept(*, request: AfterSalesRequest, by: User) -> AfterSalesRequest:
    """The seller accepts: a refund only is refunded at once; a return waits for the goods."""
    request = _as_seller(_locked(request), by)
    return _accept(request, by=by)


@transaction.atomic
def aftersales_refuse(*, request: AfterSalesRequest, by: User, reason: str) -> AfterSalesRequest:
    """The seller refuses, with a reason the buyer sees (and may take to the platform)."""
    request = _as_seller(_locked(request), by)
    reason = _text(reason, required=True)
    return _move(
        request,
        AfterSalesStatus.REFUSED,
        by=by,
        reason=reason,
        refusal_reason=reason,
        reply_due_at=None,
    )


@transaction.atomic
def aftersales_return_received(*, request: AfterSalesRequest, by: User) -> AfterSalesRequest:
    """The seller got the returned goods back: the refund is paid."""
    request = _as_seller(_locked(request), by)
    _move(request, AfterSalesStatus.RETURN_RECEIVED, by=by)
    return _refund(request, by=by)


@transaction.atomic
def aftersales_auto_accept(*, request: AfterSalesRequest) -> AfterSalesRequest:
    """A request its seller left unanswered past ``reply_due_at`` is accepted (the
    sweeper's step); anything else is left as it is, so running it again changes nothing."""
    request = _locked(request)
    if (
        request.status != AfterSalesStatus.REQUESTED
        or request.reply_due_at is None
        or request.reply_due_at > clock.now()
    ):
        return request
    return _accept(
        request,
        by=None,
        reason=_("卖家 %(days)s 天未处理，自动同意")
        % {"days": settings.AFTERSALES_SELLER_REPLY_DAYS},
    )


# --- the platform --------------------------------------------------------------------------


@transaction.atomic
def aftersales_decide(
    *, request: AfterSalesRequest, by: User, accept: bool, reason: str = ""
) -> AfterSalesRequest:
    """An operator decides an escalated request: accepted (refunded, or the return
    awaited), or refused and closed (a reason required)."""
    request = _as_operator(_locked(request), by)
    if request.status != AfterSalesStatus.ESCALATED:
        raise InvalidTransition(
            _("售后申请当前状态为「%(status)s」，不能执行此操作。")
            % {"status": request.get_status_display()},
            code="aftersales_invalid_transition",
            details={"from": request.status, "to": "accepted" if accept else "closed"},
        )
    if accept:
        return _accept(request, by=by, reason=_text(reason))
    return _move(request, AfterSalesStatus.CLOSED, by=by, reason=_text(reason, required=True))
