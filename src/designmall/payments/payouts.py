"""Seller payouts with four eyes: requested from the seller balance, approved by finance,
transferred once through the gateway.

The ledger records each step (``ledger.services``: the request takes the balance, a
rejection or a final failure gives it back, a transfer sends it from the gateway
account); this module adds what needs the gateway:

- ``payout_approve``: the last approval a payout needs queues its transfer job, in the
  same transaction (so a payout approved twice at once is queued once: the approvals
  are taken one after the other under the payout's lock, and the late one is refused);
- ``payout_transfer_execute`` (the job): asks the gateway outside any transaction,
  always with the payout's own ``out_biz_no``, so a retry after a timeout or a crash
  is the same transfer, made once. Retryable failures raise, and the worker tries
  again with backoff; a final refusal fails the payout and gives the money back;
- ``payout_transfer_retry``: finance queues the transfer again when its job gave up
  (the outcome is unknown then, so the money is not given back blindly: asking again
  with the same ``out_biz_no`` answers the first result).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, PermissionDenied
from designmall.core.jobs import enqueue
from designmall.ledger import services as ledger
from designmall.ledger.models import Payout, PayoutStatus
from designmall.payments.gateways import get_gateway
from designmall.payments.gateways.base import GatewayError

log = logging.getLogger(__name__)

TRANSFER_JOB = "payments.payout_transfer"

# What adapters call for the steps that need no gateway.
payout_request = ledger.payout_request
payout_reject = ledger.payout_reject


def _queue_transfer(payout: Payout) -> None:
    enqueue(TRANSFER_JOB, {"payout_id": payout.pk}, key=f"{TRANSFER_JOB}:{payout.pk}")


@transaction.atomic
def payout_approve(*, payout: Payout, by) -> Payout:
    """Approve ``payout`` as ``by`` (see ``ledger.services.payout_approve`` for the four-eyes
    rules); once fully approved, its transfer at ``PAYMENTS_GATEWAY`` is queued."""
    payout = ledger.payout_approve(payout=payout, by=by, gateway=settings.PAYMENTS_GATEWAY)
    if payout.status == PayoutStatus.APPROVED:
        _queue_transfer(payout)
    return payout


def _title(payout: Payout) -> str:
    return f"Design Mall 卖家提现 {payout.public_id}"


def payout_transfer_execute(*, payout: Payout) -> Payout:
    """Make the transfer of an approved payout (outside any transaction), then record it.

    Payouts not ``approved`` (already paid or failed) are left as they are.
    """
    payout = Payout.objects.get(pk=payout.pk)
    if payout.status != PayoutStatus.APPROVED:
        return payout
    gateway = get_gateway(payout.gateway)
    try:
        result = gateway.transfer(
            out_biz_no=payout.out_biz_no,
            amount_fen=payout.amount_fen,
            payee_account=payout.payee_account,
            payee_name=payout.payee_name,
            title=_title(payout),
        )
    except GatewayError as exc:
        if exc.retryable:
            log.warning("payout %s: transfer to retry: %s", payout.public_id, exc)
            raise
        log.error("payout %s: transfer refused: %s", payout.public_id, exc)
        return ledger.payout_transfer_failed(payout=payout, reason=str(exc))
    return ledger.payout_transfer_succeeded(payout=payout, reference=result.order_id)


@transaction.atomic
def payout_transfer_retry(*, payout: Payout, by) -> Payout:
    """Queue the transfer of an approved payout again (its job gave up), with the same
    ``out_biz_no``: the gateway answers the first result if it was made."""
    if not (by is not None and by.has_perm("ledger.approve_payout")):
        raise PermissionDenied(_("只有财务人员可以审批提现。"), code="finance_only")
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.status != PayoutStatus.APPROVED:
        raise Conflict(_("只有转账中的提现可以重新发起转账。"), code="payout_not_approved")
    _queue_transfer(payout)
    audit_record(
        actor=by,
        action="payout.transfer_retry",
        target=payout,
        from_state=payout.status,
        to_state=payout.status,
    )
    return payout
