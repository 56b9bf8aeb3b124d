"""Finance: seller payouts waiting for approval, approving and rejecting them.

Only finance users (and superusers) get in; anyone else logged in is 403. Approving
follows the four-eyes rules: nobody approves a payout they requested, and a payout
from the second-approval threshold needs two different finance users.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from designmall.api.auth import FINANCE
from designmall.api.errors import with_errors
from designmall.api.schemas import Page, PageQuery, ReasonIn, page_out
from designmall.api.v1.seller import PayoutOut, PayoutStatusValue, payout_out
from designmall.core.errors import NotFound
from designmall.ledger.models import Payout
from designmall.payments.payouts import payout_approve, payout_reject

router = Router(tags=["finance"], auth=FINANCE)


class FinancePayoutOut(PayoutOut):
    shop: str
    out_biz_no: str
    gateway: str


def finance_payout_out(payout: Payout) -> dict[str, Any]:
    return {
        **payout_out(payout),
        "shop": payout.shop_public_id,
        "out_biz_no": payout.out_biz_no or "",
        "gateway": payout.gateway,
    }


def _payout(public_id: str) -> Payout:
    payout = Payout.objects.filter(public_id=public_id).first()
    if payout is None:
        raise NotFound(_("没有找到这笔提现。"))
    return payout


class PayoutQuery(PageQuery):
    status: PayoutStatusValue | None = None


@router.get("/payouts", response=with_errors({200: Page[FinancePayoutOut]}, 401, 403, 422))
def finance_payout_list(request: HttpRequest, query: Query[PayoutQuery]):
    """Payouts (``status=requested`` for the approval queue), oldest first."""
    payouts = Payout.objects.order_by("requested_at", "id")
    if query.status:
        payouts = payouts.filter(status=query.status)
    return page_out(payouts, query, finance_payout_out)


@router.post(
    "/payouts/{pid:public_id}/approve",
    response=with_errors({200: FinancePayoutOut}, 401, 403, 404, 409),
)
def finance_payout_approve(request: HttpRequest, public_id: str):
    """Approve a requested payout. With the last approval it needs it becomes
    ``approved`` and its transfer is queued. Refused: your own payout (403
    ``own_payout``), a second approval by the first approver (403
    ``second_approver_required``), a payout no longer requested (409)."""
    return finance_payout_out(payout_approve(payout=_payout(public_id), by=request.auth))


@router.post(
    "/payouts/{pid:public_id}/reject",
    response=with_errors({200: FinancePayoutOut}, 400, 401, 403, 404, 409, 422),
)
def finance_payout_reject(request: HttpRequest, public_id: str, payload: ReasonIn):
    """Refuse a requested payout with the reason the seller reads; the amount goes back
    to the seller's balance."""
    payout = payout_reject(payout=_payout(public_id), reason=payload.reason, by=request.auth)
    return finance_payout_out(payout)
