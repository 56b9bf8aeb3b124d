"""The seller center's settlement page: the shop's balance, what its open orders hold in
escrow, the latest ledger movements (all read from ledger and orders selectors), the
shop's payouts, and the form to request one (``payments.payouts``)."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from designmall.catalog.models import Shop
from designmall.catalog.services import shop_for_seller
from designmall.core.errors import DomainError, NotFound
from designmall.core.money import format_fen
from designmall.ledger.selectors import last_payee, payouts_of_shop, seller_statement
from designmall.orders.selectors import shop_in_escrow
from designmall.payments.payouts import payout_request
from designmall.storefront.forms import PayoutForm


def _own_shop(request: HttpRequest) -> Shop:
    try:
        return shop_for_seller(user=request.user)
    except NotFound:
        raise Http404(_("您还没有店铺。")) from None


def _new_payout_form(shop: Shop) -> PayoutForm:
    account, name = last_payee(shop_public_id=shop.public_id)
    return PayoutForm(
        initial={
            "payee_account": account,
            "payee_name": name,
            "request_key": secrets.token_urlsafe(24),
        }
    )


def _page(request: HttpRequest, shop: Shop, form: PayoutForm, *, status: int = 200):
    in_escrow_orders, in_escrow_fen = shop_in_escrow(shop_id=shop.id)
    return render(
        request,
        "storefront/seller/settlement.html",
        {
            "shop": shop,
            "statement": seller_statement(shop_public_id=shop.public_id),
            "in_escrow_orders": in_escrow_orders,
            "in_escrow_fen": in_escrow_fen,
            "payouts": payouts_of_shop(shop_public_id=shop.public_id),
            "payout_form": form,
        },
        status=status,
    )


@login_required
@require_GET
def settlement(request: HttpRequest) -> HttpResponse:
    shop = _own_shop(request)
    return _page(request, shop, _new_payout_form(shop))


@login_required
@require_POST
def payout_new(request: HttpRequest) -> HttpResponse:
    """Request a payout; a refused one is shown on the page with what was typed."""
    shop = _own_shop(request)
    form = PayoutForm(request.POST)
    if form.is_valid():
        try:
            payout = payout_request(
                shop_public_id=shop.public_id,
                amount_fen=form.cleaned_data["amount"],
                payee_account=form.cleaned_data["payee_account"],
                payee_name=form.cleaned_data["payee_name"],
                request_key=form.cleaned_data["request_key"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            text = _("已申请提现 %(amount)s，等待财务审批。")
            messages.success(request, text % {"amount": format_fen(payout.amount_fen)})
            return redirect("storefront:seller_settlement")
    return _page(request, shop, form, status=422)
