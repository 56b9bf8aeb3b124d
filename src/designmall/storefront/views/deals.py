"""The flash-deal pages: the deal (countdown before the start, a live "units left" bar, then
已抢光 / ended; a small script polls ``/api/v1/deals/<id>/state``) with its buy form, the
list of deals, and the deal banner on a product page (drawn with the live part)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from designmall.core import clock
from designmall.core.errors import DomainError, NotFound
from designmall.core.ratelimit import rate_limited
from designmall.orders import rules
from designmall.promotions import deals as deal_services
from designmall.promotions.models import Deal, DealStatus
from designmall.storefront.order_forms import CheckoutForm
from designmall.storefront.views.orders import _last_address, _to_cashier


class DealBuyForm(CheckoutForm):
    """Delivery and address for a deal's one unit (the checkout's form, without totals)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["total_address"]
        del self.fields["total_pickup"]


def _state(deal) -> dict:
    state = deal_services.deal_live_state(deal)
    state["percent_left"] = round(100 * state["units_left"] / deal.quantity) if deal.quantity else 0
    state["seconds_to_start"] = max(0, int((deal.starts_at - state["server_time"]).total_seconds()))
    state["seconds_to_end"] = max(0, int((deal.ends_at - state["server_time"]).total_seconds()))
    return state


def _page(request: HttpRequest, deal, form: DealBuyForm) -> HttpResponse:
    return render(
        request,
        "storefront/deal.html",
        {
            "deal": deal,
            "state": _state(deal),
            "form": form,
            "address_fields": [form[name] for name in form.fields if name in form.address_keys],
            "hold_minutes": settings.DEAL_HOLD_MINUTES,
        },
    )


@require_http_methods(["GET", "POST"])
@rate_limited("deal_buy")
def deal(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        found = deal_services.deal_by_public_id(public_id)
    except NotFound:
        raise Http404(_("没有找到这个秒杀。")) from None
    if request.method == "GET":
        initial = {
            "delivery": rules.Delivery.ADDRESS.value,
            "idempotency_key": secrets.token_urlsafe(24),
        }
        if request.user.is_authenticated:
            initial |= _last_address(request.user)
        return _page(request, found, DealBuyForm(initial=initial))
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = DealBuyForm(request.POST)
    if not form.is_valid():
        return _page(request, found, form)
    delivery = form.cleaned_data["delivery"]
    try:
        grab = deal_services.deal_grab(
            buyer=request.user,
            deal=found.public_id,
            delivery=delivery,
            address=form.address() if delivery == rules.Delivery.ADDRESS else None,
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except DomainError as exc:
        wrong = (exc.details or {}).get("field") if exc.code == "invalid_address" else None
        if wrong in form.address_keys:
            form.add_error(wrong, exc.message)
        else:
            messages.error(request, exc.message)
        data = request.POST.copy()
        data["idempotency_key"] = secrets.token_urlsafe(24)
        form = DealBuyForm(data)
        form.is_valid()
        return _page(request, found, form)
    return _after_grab(request, found, grab)


def _after_grab(request: HttpRequest, found, grab: deal_services.Grab) -> HttpResponse:
    """Ordered: to the cashier; queued: the ticket's page (排队中) until it is; failed: back
    to the deal, saying so."""
    if grab.status == "ordered":
        return _to_cashier(request, grab.checkout)
    if grab.status == "failed":
        messages.error(request, _("订单未能生成，名额已退回。"))
        return redirect("storefront:deal", public_id=found.public_id)
    return redirect("storefront:deal_ticket", public_id=found.public_id, ticket=grab.ticket)


@login_required
@require_GET
def deal_ticket(request: HttpRequest, public_id: str, ticket: str) -> HttpResponse:
    """A unit won, its order being written (排队中): the page looks again every second (a
    small script asks the API; without it, the page refreshes) and goes on to the cashier
    once the order exists."""
    try:
        found = deal_services.deal_by_public_id(public_id)
        grab = deal_services.deal_ticket_state(
            buyer=request.user, deal=found.public_id, ticket=ticket
        )
    except NotFound:
        raise Http404(_("没有找到这个秒杀名额。")) from None
    if grab.status != "queued":
        return _after_grab(request, found, grab)
    return render(
        request,
        "storefront/deal_ticket.html",
        {"deal": found, "ticket": grab.ticket, "hold_minutes": settings.DEAL_HOLD_MINUTES},
    )


@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    listed = [(deal, _state(deal)) for deal in deal_services.deals_current()]
    return render(request, "storefront/deals.html", {"deals": listed})


# The products with a deal running or to come, kept in the shared cache for a few
# seconds: the banner costs a product page a statement only when its product has a deal (a
# deal scheduled shows on its product page within ``PRODUCTS_SECONDS``).
PRODUCTS_KEY = "deals:product-ids:1"
PRODUCTS_SECONDS = 10


def forget_products_with_deals() -> None:
    cache.delete(PRODUCTS_KEY)


def products_with_deals() -> frozenset[int]:
    return cache.get_or_set(
        PRODUCTS_KEY,
        lambda: frozenset(
            Deal.objects.filter(status=DealStatus.SCHEDULED, ends_at__gt=clock.now())
            .values_list("sku__product_id", flat=True)
            .distinct()
        ),
        PRODUCTS_SECONDS,
    )


def product_deal_banner(product_id: int) -> str:
    """The product's running or next deal as a banner for its page ('' when none)."""
    if product_id not in products_with_deals():
        return ""
    found = deal_services.deal_for_product(product_id, now=clock.now())
    if found is None:
        return ""
    return render_to_string(
        "storefront/includes/deal_banner.html", {"deal": found, "state": _state(found)}
    )
