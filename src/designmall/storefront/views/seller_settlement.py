"""The seller center's settlement page: the shop's balance, what its open orders hold in
escrow, and the latest ledger movements (all read from ledger and orders selectors)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from designmall.catalog.services import shop_for_seller
from designmall.core.errors import NotFound
from designmall.ledger.selectors import seller_statement
from designmall.orders.selectors import shop_in_escrow


@login_required
@require_GET
def settlement(request: HttpRequest) -> HttpResponse:
    try:
        shop = shop_for_seller(user=request.user)
    except NotFound:
        raise Http404(_("您还没有店铺。")) from None
    in_escrow_orders, in_escrow_fen = shop_in_escrow(shop_id=shop.id)
    return render(
        request,
        "storefront/seller/settlement.html",
        {
            "shop": shop,
            "statement": seller_statement(shop_public_id=shop.public_id),
            "in_escrow_orders": in_escrow_orders,
            "in_escrow_fen": in_escrow_fen,
        },
    )
