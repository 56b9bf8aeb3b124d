"""Payment services: create, credit, close, reconcile and refund.

Every state change is one transaction under the payment's row lock (lock
order: payment, then refund, then the payable's rows). Calls to a gateway are
made outside those transactions, so no row lock is ever held across the
network: a refund is created pending in the transaction and executed by a
queued job; the reconciliation asks the gateway first and then changes state.

Money is credited only on a verified word from the gateway (a signed
notification, or a signed answer to our query) whose trade, app, seller and
amount match ours, only once, and never lost: a payment that arrives for
something no longer payable is recorded and refunded in full automatically.
"""

from __future__ import annotations

import logging
import re
import secrets
import traceback
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock, leansql, metrics
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, DomainError, ValidationFailed
from designmall.core.jobs import enqueue
from designmall.core.models import AuditEvent
from designmall.ledger.services import escrow_receive_payment, refund_from_escrow
from designmall.payments.gateways import GATEWAY_NAMES, get_gateway
from designmall.payments.gateways.alipay import SHANGHAI, fen_or_none
from designmall.payments.gateways.base import (
    PAID_STATUSES,
    TRADE_CLOSED,
    TRADE_STATUS_ERROR,
    Gateway,
    GatewayError,
    PayStart,
    TradeState,
)
from designmall.payments.models import (
    NotifyOutcome,
    Overpayment,
    Payment,
    PaymentNotification,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from designmall.payments.payables import payable_for

log = logging.getLogger(__name__)

MAX_PAYMENT_FEN = 100_000_000_00  # Alipay's ceiling for one trade: ¥100,000,000.00
SUBJECT_MAX = 256
REFUND_JOB = "payments.refund_execute"
RECONCILE_JOB = "payments.reconcile"
SUCCESS, FAILURE = "success", "failure"
# What the notify endpoint answers for each outcome: "success" stops the gateway's retries.
ANSWERS = {
    NotifyOutcome.CREDITED: SUCCESS,
    NotifyOutcome.DUPLICATE: SUCCESS,
    NotifyOutcome.REFUNDING: SUCCESS,
    NotifyOutcome.OVERPAID: SUCCESS,
    NotifyOutcome.IGNORED: SUCCESS,
}
# Alipay refuses these characters in a subject.
_SUBJECT_UNSAFE = re.compile(r"[/=&\x00-\x1f\x7f]")


class GatewayDown(DomainError):
    code = "gateway_unavailable"
    status = 503


def _stamp(now: datetime) -> str:
    return f"{now.astimezone(SHANGHAI):%Y%m%d}"


def _gateway(name: str) -> Gateway:
    try:
        return get_gateway(name)
    except GatewayError as exc:
        raise GatewayDown(_("该支付方式暂不可用，请稍后再试。")) from exc


# --- creating and starting a payment -------------------------------------------------------


# No savepoint inside a caller's transaction (a checkout's): a failure fails it anyway.
@transaction.atomic(savepoint=False)
def payment_create(
    *,
    buyer: User,
    amount_fen: int,
    subject: str,
    payable_type: str,
    payable_id: str,
    gateway: str | None = None,
    expires_at: datetime | None = None,
    audit_rows: list[AuditEvent] | None = None,
) -> Payment:
    """A pending payment of ``amount_fen`` by ``buyer`` for the payable, to be paid at
    ``gateway`` (default ``PAYMENTS_GATEWAY``) within ``PAYMENT_TIMEOUT_MINUTES``, or by
    ``expires_at`` when the payable holds something for the buyer that long (it must be
    later than now).

    Its ``out_trade_no`` is random (it opens the cashier). The payable type must be
    registered (``payables.register``).

    With ``audit_rows`` (a checkout's list of rows it inserts later in the same
    transaction) the payment's audit row is appended there instead of inserted here: one
    statement fewer on every checkout.
    """
    if (
        isinstance(amount_fen, bool)
        or not isinstance(amount_fen, int)
        or not 0 < amount_fen <= MAX_PAYMENT_FEN
    ):
        raise ValidationFailed(
            _("支付金额无效。"), code="invalid_amount", details={"amount_fen": repr(amount_fen)}
        )
    subject = " ".join(_SUBJECT_UNSAFE.sub(" ", subject or "").split())[:SUBJECT_MAX]
    if not subject:
        raise ValidationFailed(_("请填写支付的商品描述。"), code="subject_required")
    payable_for(payable_type)
    if not payable_id or len(payable_id) > 64:
        raise ValueError(f"payable id must be 1-64 characters: {payable_id!r}")
    name = gateway or settings.PAYMENTS_GATEWAY
    if name not in GATEWAY_NAMES:
        raise ValueError(f"no payment gateway is called {name!r}")
    _gateway(name)  # refuses a gateway that is not configured here (the sandbox in production)
    now = clock.now()
    if expires_at is None:
        expires_at = now + timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES)
    elif expires_at <= now:
        raise ValueError(f"a payment must expire after now: {expires_at!r}")
    payment = Payment(
        out_trade_no=f"DM{_stamp(now)}{secrets.token_hex(16)}",
        gateway=name,
        amount_fen=amount_fen,
        subject=subject,
        buyer=buyer,
        payable_type=payable_type,
        payable_id=payable_id,
        created_at=now,
        expires_at=expires_at,
    )
    # Every checkout writes these two rows: statements built once (``core.leansql``).
    leansql.insert([payment])
    audit = AuditEvent(
        at=now,
        actor=buyer,
        action="payment.created",
        target_type=Payment._meta.label_lower,
        target_id=payment.public_id,
        to_state=PaymentStatus.PENDING,
        data={"amount_fen": amount_fen, "payable": f"{payable_type}:{payable_id}"},
    )
    if audit_rows is not None:
        audit_rows.append(audit)
    else:
        leansql.insert([audit])
    return payment


def payment_start(*, payment: Payment, channel: str = "page") -> PayStart:
    """Where the buyer pays ``payment``: a cashier URL (``page``, ``wap``) or a QR code
    to scan (``qr``, a call to the gateway). Only while it is pending and not expired."""
    if payment.status != PaymentStatus.PENDING or clock.now() >= payment.expires_at:
        raise Conflict(_("这笔支付已结束，不能再付款。"), code="payment_not_payable")
    gateway = _gateway(payment.gateway)
    try:
        return gateway.create(payment, channel=channel)
    except GatewayError as exc:
        log.warning("payment %s: %s failed: %s", payment.public_id, channel, exc)
        raise GatewayDown(_("支付渠道暂时无法响应，请稍后再试。")) from exc


# --- crediting ----------------------------------------------------------------------------


@transaction.atomic
def payment_credit(*, payment: Payment, trade_no: str, via: str) -> str:
    """Record that the gateway took the buyer's money for ``payment``; returns the outcome.

    The caller has verified it (a signed notification or a signed query answer, with
    trade, app, seller and amount matching). Under the payment's row lock:

    - already paid by this trade: ``duplicate``, nothing changes;
    - already paid by another trade (the buyer paid twice): the second trade's money is
      received as an overpayment and refunded in full (``overpaid``), once per trade;
    - else the payment is paid and the money goes into escrow (ledger). If the payable
      still wants it, its ``on_paid`` runs: ``credited``. If it does not (``is_payable``
      says no, ``on_paid`` refuses with a domain error, or the payment had already been
      given up: the buyer paid as it expired or was cancelled), a full refund is created
      and queued: ``refunding``.
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status == PaymentStatus.PAID:
        if trade_no and payment.trade_no and trade_no != payment.trade_no:
            return _overpayment_receive(payment=payment, trade_no=trade_no, via=via)
        return NotifyOutcome.DUPLICATE
    was = payment.status
    payment.status = PaymentStatus.PAID
    payment.trade_no = trade_no
    payment.paid_at = clock.now()
    payment.save(update_fields=["status", "trade_no", "paid_at"])
    escrow_receive_payment(
        payment_ref=payment.public_id,
        gateway=payment.gateway,
        amount_fen=payment.amount_fen,
        refs={"trade": payment.out_trade_no},
    )
    payable = payable_for(payment.payable_type)
    refusal = ""
    if was in (PaymentStatus.CLOSING, PaymentStatus.CLOSED):
        refusal = "closed"
    elif not payable.is_payable(payment):
        refusal = "not payable"
    else:
        try:
            with transaction.atomic():
                payable.on_paid(payment)
        except DomainError as exc:
            refusal = f"refused: {exc.code}"
            log.warning("payment %s: the payable refused it (%s)", payment.public_id, exc.code)
    outcome = NotifyOutcome.REFUNDING if refusal else NotifyOutcome.CREDITED
    if not refusal:
        metrics.count_on_commit(metrics.PAYMENTS_CREDITED)
    audit_record(
        actor=None,
        action="payment.paid",
        target=payment,
        from_state=was,
        to_state=PaymentStatus.PAID,
        reason=refusal,
        data={"trade_no": trade_no, "via": via, "outcome": outcome},
    )
    if refusal:
        _refund_open(
            payment=payment,
            amount_fen=payment.amount_fen - payment.refunded_fen,
            reason=_("付款到账时这笔交易已失效，款项已全额退回。"),
            refs={"cause": refusal},
            automatic=True,
            by=None,
        )
    return outcome


def _overpayment_receive(*, payment: Payment, trade_no: str, via: str) -> str:
    """A second trade paid the locked, paid ``payment``: its money goes into escrow and
    straight back to the buyer (an automatic refund of that trade); once per trade."""
    if Overpayment.objects.filter(trade_no=trade_no).exists():
        return NotifyOutcome.DUPLICATE
    overpayment = Overpayment.objects.create(
        payment=payment,
        trade_no=trade_no,
        amount_fen=payment.amount_fen,
        received_at=clock.now(),
        via=via,
    )
    escrow_receive_payment(
        payment_ref=overpayment.public_id,
        gateway=payment.gateway,
        amount_fen=overpayment.amount_fen,
        refs={"trade": payment.out_trade_no, "overpayment": overpayment.public_id},
    )
    audit_record(
        actor=None,
        action="payment.overpaid",
        target=payment,
        reason=_("同一笔支付被重复付款，第二笔已全额退回。"),
        data={"trade_no": trade_no, "amount_fen": overpayment.amount_fen, "via": via},
    )
    _refund_record(
        payment=payment,
        amount_fen=overpayment.amount_fen,
        reason=_("重复付款，款项已全额退回。"),
        refs={"cause": "paid twice", "trade_no": trade_no},
        automatic=True,
        by=None,
        overpayment=overpayment,
    )
    return NotifyOutcome.OVERPAID


def _mismatch(
    params: Mapping[str, str], payment: Payment | None, gateway: Gateway, verified: bool
) -> str | None:
    """Why a notification must not be believed or does not fit our payment; None if it fits."""
    if not verified:
        return NotifyOutcome.BAD_SIGNATURE
    if payment is None:
        return NotifyOutcome.UNKNOWN_TRADE
    if params.get("app_id") != gateway.app_id:
        return NotifyOutcome.APP_ID_MISMATCH
    if gateway.seller_id and params.get("seller_id") != gateway.seller_id:
        return NotifyOutcome.SELLER_ID_MISMATCH
    if fen_or_none(params.get("total_amount")) != payment.amount_fen:
        return NotifyOutcome.AMOUNT_MISMATCH
    return None


def notification_receive(
    *, params: Mapping[str, str], remote_addr: str | None = None
) -> PaymentNotification:
    """Handle one call of the notify endpoint and record it; ``.answer`` is the reply.

    The signature is verified with the key of the payment's gateway; then app id,
    seller id and the exact amount must match the payment. Only ``TRADE_SUCCESS`` and
    ``TRADE_FINISHED`` credit it (``payment_credit``); other statuses change nothing.
    Duplicates and retries answer ``success`` and change nothing; anything forged,
    altered or mismatched credits nothing and answers ``failure``. Never raises: an
    unexpected error is recorded and answered ``failure`` (the gateway retries).
    """
    params = {str(key): str(value) for key, value in params.items()}
    out_trade_no = params.get("out_trade_no", "")[:64]
    record = PaymentNotification(
        received_at=clock.now(),
        params=params,
        out_trade_no=out_trade_no,
        trade_status=params.get("trade_status", "")[:32],
        notify_id=params.get("notify_id", "")[:128],
        remote_addr=remote_addr,
    )
    try:
        payment = (
            Payment.objects.filter(out_trade_no=out_trade_no).first() if out_trade_no else None
        )
        gateway = get_gateway(payment.gateway if payment else None)
        record.payment = payment
        record.verified = gateway.verify_notification(params)
        outcome = _mismatch(params, payment, gateway, record.verified)
        with transaction.atomic():
            if outcome is None and record.trade_status in PAID_STATUSES:
                outcome = payment_credit(
                    payment=payment, trade_no=params.get("trade_no", ""), via="notify"
                )
            record.outcome = outcome or NotifyOutcome.IGNORED
            record.answer = ANSWERS.get(record.outcome, FAILURE)
            record.save()
    except Exception:
        log.exception("notification for %r could not be handled", out_trade_no)
        record.pk = None
        record._state.adding = True
        record.outcome = NotifyOutcome.ERROR
        record.answer = FAILURE
        record.error = traceback.format_exc()[-4000:]
        record.save()
    if record.answer != SUCCESS:
        log.warning("notification for %r refused: %s", out_trade_no, record.outcome)
    return record


# --- closing and reconciling --------------------------------------------------------------


@transaction.atomic
def payment_close(*, payment: Payment, reason: str = "expired") -> Payment:
    """Give up an unpaid payment (its time ran out, or its payable was cancelled): it is
    ``closing`` and its payable's ``on_expired`` runs, once.

    Only the gateway can say it is closed: a queued reconciliation asks it (query, then
    close the trade there) and makes it ``closed``, or finds the buyer paid at the last
    moment and credits it (refunded in full by ``payment_credit``). Until the gateway
    answers, the payment stays ``closing`` and the sweeper keeps asking. A payment no
    longer pending is returned unchanged.
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.PENDING:
        return payment
    payment.status = PaymentStatus.CLOSING
    payment.closing_at = clock.now()
    payment.save(update_fields=["status", "closing_at"])
    payable_for(payment.payable_type).on_expired(payment)
    enqueue(RECONCILE_JOB, {"payment_id": payment.pk}, key=f"{RECONCILE_JOB}:{payment.pk}")
    audit_record(
        actor=None,
        action="payment.closing",
        target=payment,
        from_state=PaymentStatus.PENDING,
        to_state=PaymentStatus.CLOSING,
        reason=reason,
    )
    return payment


@transaction.atomic
def _payment_closed(*, payment: Payment, gateway_status: str) -> Payment:
    """The gateway confirmed the trade cannot be paid any more: ``closing`` -> ``closed``."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.status != PaymentStatus.CLOSING:
        return payment
    payment.status = PaymentStatus.CLOSED
    payment.closed_at = clock.now()
    payment.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=None,
        action="payment.closed",
        target=payment,
        from_state=PaymentStatus.CLOSING,
        to_state=PaymentStatus.CLOSED,
        data={"gateway_status": gateway_status or "no trade"},
    )
    return payment


def payment_reconcile(*, payment: Payment) -> Payment:
    """Bring a pending or closing payment in line with its gateway (a notification may
    have been lost), asking it outside any transaction. Idempotent, and safe while
    notifications and other workers race it; gateway failures raise ``GatewayError``
    (the job retries, and the sweeper queues it again).

    - Paid at the gateway: credited through ``payment_credit``, exactly as by a
      notification (a closing payment's money is then refunded in full).
    - Pending, unpaid, time left: nothing.
    - Pending, unpaid, expired: given up (``payment_close``), then closed as below.
    - Closing: the trade is closed at the gateway and then here. A trade the gateway has
      not seen yet stays ``closing`` until the payment's time has run out (the buyer
      could still open the cashier until then); a trade paid as we closed it is
      credited.
    """
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status not in (PaymentStatus.PENDING, PaymentStatus.CLOSING):
        return payment
    gateway = get_gateway(payment.gateway)
    state = gateway.query(payment)
    if state.paid:
        return _credit_from_query(payment, state)
    if payment.status == PaymentStatus.PENDING:
        if clock.now() < payment.expires_at:
            return payment
        payment = payment_close(payment=payment)
        if payment.status != PaymentStatus.CLOSING:
            return payment  # paid meanwhile
    if not state.status and clock.now() < payment.expires_at:
        return payment  # nothing to close yet; asked again after the trade's time_expire
    if state.status and state.status != TRADE_CLOSED:
        try:
            gateway.close(payment)
        except GatewayError as exc:
            if exc.sub_code != TRADE_STATUS_ERROR:
                raise
            state = gateway.query(payment)  # it was paid as we closed it
            if state.paid:
                return _credit_from_query(payment, state)
            if state.status != TRADE_CLOSED:
                raise GatewayError(
                    f"trade {payment.out_trade_no} could not be closed ({state.status})",
                    retryable=True,
                ) from exc
        state = TradeState(payment.out_trade_no, TRADE_CLOSED, state.trade_no, state.total_fen)
    return _payment_closed(payment=payment, gateway_status=state.status)


def trade_recheck(*, payment: Payment, trade_no: str, via: str = "bill") -> str:
    """Ask the gateway about one trade of ``payment`` (found in its bill but not in our
    books) and credit it if the gateway's signed answer says it is paid: a payment
    given up is credited and refunded, an already paid one takes it as an overpayment.
    Returns the outcome (``ignored`` if the gateway does not call it paid)."""
    gateway = get_gateway(payment.gateway)
    state = gateway.query(payment, trade_no=trade_no)
    if not state.paid:
        return NotifyOutcome.IGNORED
    _check_query(payment, state)
    return payment_credit(payment=payment, trade_no=state.trade_no, via=via)


def _check_query(payment: Payment, state: TradeState) -> None:
    if state.out_trade_no != payment.out_trade_no or state.total_fen != payment.amount_fen:
        raise GatewayError(
            f"the gateway's trade {state.out_trade_no} ({state.total_fen} fen) does not match "
            f"payment {payment.public_id} ({payment.out_trade_no}, {payment.amount_fen} fen)"
        )


def _credit_from_query(payment: Payment, state: TradeState) -> Payment:
    _check_query(payment, state)
    payment_credit(payment=payment, trade_no=state.trade_no, via="query")
    return Payment.objects.get(pk=payment.pk)


# --- refunds ------------------------------------------------------------------------------


def _refund_open(
    *,
    payment: Payment,
    amount_fen: int,
    reason: str,
    refs: dict | None,
    automatic: bool,
    by: User | None,
) -> Refund:
    """Reserve ``amount_fen`` of the locked, paid ``payment`` and queue its refund."""
    if payment.status != PaymentStatus.PAID:
        raise Conflict(_("只有已支付的款项才能退款。"), code="payment_not_paid")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationFailed(
            _("退款金额必须大于零。"), code="invalid_amount", details={"amount_fen": amount_fen}
        )
    refundable = payment.amount_fen - payment.refunded_fen
    if amount_fen > refundable:
        raise ValidationFailed(
            _("退款金额超过可退金额。"),
            code="refund_exceeds_paid",
            details={"amount_fen": amount_fen, "refundable_fen": refundable},
        )
    reason = " ".join((reason or "").split())[:256]
    if not reason:
        raise ValidationFailed(_("请填写退款原因。"), code="reason_required")
    payment.refunded_fen += amount_fen
    payment.save(update_fields=["refunded_fen"])
    return _refund_record(
        payment=payment,
        amount_fen=amount_fen,
        reason=reason,
        refs=refs,
        automatic=automatic,
        by=by,
    )


def _refund_record(
    *,
    payment: Payment,
    amount_fen: int,
    reason: str,
    refs: dict | None,
    automatic: bool,
    by: User | None,
    overpayment: Overpayment | None = None,
) -> Refund:
    """Write a pending refund and queue its execution (amounts checked by the caller)."""
    now = clock.now()
    refund = Refund.objects.create(
        payment=payment,
        out_request_no=f"RF{_stamp(now)}{secrets.token_hex(16)}",
        amount_fen=amount_fen,
        reason=reason,
        automatic=automatic,
        overpayment=overpayment,
        refs=refs or {},
        requested_by=by,
        created_at=now,
    )
    enqueue(REFUND_JOB, {"refund_id": refund.pk}, key=f"{REFUND_JOB}:{refund.pk}")
    audit_record(
        actor=by,
        action="refund.created",
        target=refund,
        to_state=RefundStatus.PENDING,
        reason=reason,
        data={"payment": payment.public_id, "amount_fen": amount_fen, "automatic": automatic},
    )
    return refund


@transaction.atomic
def refund_create(
    *,
    payment: Payment,
    amount_fen: int,
    reason: str,
    refs: dict | None = None,
    by: User | None = None,
) -> Refund:
    """Refund ``amount_fen`` of a paid payment (part or all of what is left of it).

    Refused beyond what is paid and not yet refunded (``ValidationFailed``
    ``refund_exceeds_paid``) and for an unpaid payment (``Conflict``
    ``payment_not_paid``). The refund is pending, with its own ``out_request_no``,
    and a job executes it (``refund_execute``); when it succeeds, the payable's
    ``on_refunded`` runs (and posts its ledger entries).
    """
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    return _refund_open(
        payment=payment, amount_fen=amount_fen, reason=reason, refs=refs, automatic=False, by=by
    )


def refund_execute(*, refund: Refund) -> Refund:
    """Ask the gateway to make a pending refund (outside any transaction), then record it.

    Always with the refund's own ``out_request_no``, so a retry after a timeout or a
    crash is the same refund, made once. A retryable gateway failure raises
    ``GatewayError`` (the job tries again later); a final refusal fails the refund and
    gives its amount back to the payment. Done or failed refunds are left as they are.
    """
    refund = Refund.objects.select_related("payment", "overpayment").get(pk=refund.pk)
    if refund.status != RefundStatus.PENDING:
        return refund
    gateway = get_gateway(refund.payment.gateway)
    try:
        gateway.refund(
            refund.payment,
            out_request_no=refund.out_request_no,
            amount_fen=refund.amount_fen,
            reason=refund.reason,
            trade_no=refund.overpayment.trade_no if refund.overpayment else "",
        )
    except GatewayError as exc:
        if exc.retryable:
            raise
        return _refund_fail(refund=refund, error=exc)
    return _refund_succeed(refund=refund)


@transaction.atomic
def _refund_succeed(*, refund: Refund) -> Refund:
    refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund.pk)
    if refund.status != RefundStatus.PENDING:
        return refund
    refund.status = RefundStatus.SUCCEEDED
    refund.succeeded_at = clock.now()
    refund.save(update_fields=["status", "succeeded_at"])
    if refund.automatic:
        refund_from_escrow(
            refund_ref=refund.public_id,
            gateway=refund.payment.gateway,
            amount_fen=refund.amount_fen,
            refs={"trade": refund.payment.out_trade_no},
        )
    else:
        payable_for(refund.payment.payable_type).on_refunded(refund)
    audit_record(
        actor=None,
        action="refund.succeeded",
        target=refund,
        from_state=RefundStatus.PENDING,
        to_state=RefundStatus.SUCCEEDED,
    )
    return refund


@transaction.atomic
def _refund_fail(*, refund: Refund, error: GatewayError) -> Refund:
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != RefundStatus.PENDING:
        return refund
    refund.status = RefundStatus.FAILED
    refund.failed_at = clock.now()
    refund.failure = str(error)[:2000]
    refund.save(update_fields=["status", "failed_at", "failure"])
    if refund.overpayment_id is None:  # an overpayment's refund never counted against it
        payment.refunded_fen -= refund.amount_fen
        payment.save(update_fields=["refunded_fen"])
    log.error("refund %s failed: %s", refund.public_id, error)
    audit_record(
        actor=None,
        action="refund.failed",
        target=refund,
        from_state=RefundStatus.PENDING,
        to_state=RefundStatus.FAILED,
        reason=str(error)[:1000],
    )
    return refund


def refund_retry(*, refund: Refund) -> Refund:
    """Queue a pending refund again (its job gave up), with the same ``out_request_no``."""
    if refund.status != RefundStatus.PENDING:
        raise Conflict(_("只有退款中的退款可以重试。"), code="refund_not_pending")
    enqueue(REFUND_JOB, {"refund_id": refund.pk}, key=f"{REFUND_JOB}:{refund.pk}")
    return refund
