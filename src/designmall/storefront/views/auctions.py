"""Auction pages: the lists (upcoming, live, closing soon, results), a sale, a lot with its
bid form, deposit, watch button and live updates, "my bids" and "watching", the checkout
of a lot won, and second-chance offers.

Everything is a read from ``auctions.selectors`` or a call to the auction services; a
refused bid or payment comes back as a message on the lot's page. A lot's page is right
when drawn and kept live by ``auctions.js``: the server-sent events of ``lot_events``
(``auctions.stream``), or polling the API's ``/live`` endpoint where those fail.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designmall.auctions import deposits, selectors, services, settlement, stream
from designmall.auctions.models import BidSource, Lot, LotStatus
from designmall.core.errors import DomainError, NotFound
from designmall.core.money import Money
from designmall.core.ratelimit import rate_limited
from designmall.payments.services import payment_start
from designmall.storefront.order_forms import CheckoutForm

TABS = {
    "live": gettext_lazy("正在拍卖"),
    "closing_soon": gettext_lazy("即将截拍"),
    "upcoming": gettext_lazy("即将开拍"),
    "results": gettext_lazy("拍卖结果"),
}
LOTS_SHOWN = 60
BIDS_SHOWN = 30
STANDING_LABELS = {
    "leading": gettext_lazy("领先"),
    "outbid": gettext_lazy("已被超越"),
    "won": gettext_lazy("已得标，待付款"),
    "lost": gettext_lazy("未得标"),
    "offered": gettext_lazy("优先购买机会"),
    "defaulted": gettext_lazy("逾期未付款"),
    "paid": gettext_lazy("已付款"),
}


def _lot_or_404(request: HttpRequest, public_id: str) -> Lot:
    try:
        return selectors.lot_by_public_id(public_id, viewer=request.user)
    except NotFound:
        raise Http404(_("没有找到这件拍品。")) from None


def _lot_url(lot: Lot) -> str:
    return reverse("storefront:auction_lot", kwargs={"public_id": lot.public_id})


def _to_login(request: HttpRequest, back: str) -> HttpResponse:
    messages.info(request, _("请先登录，再参与竞拍。"))
    return redirect(f"{reverse('storefront:login')}?{urlencode({'next': back})}")


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# --- lists ----------------------------------------------------------------------------------


@require_GET
def auctions(request: HttpRequest) -> HttpResponse:
    """The published sales and one list of lots (a tab: live, closing soon, upcoming,
    results)."""
    tab = request.GET.get("tab", "")
    if tab not in TABS:
        tab = "live"
    lots = list(selectors.lots_listed(which=tab)[:LOTS_SHOWN])
    return render(
        request,
        "storefront/auctions/list.html",
        {
            "tabs": [{"key": k, "label": v, "on": k == tab} for k, v in TABS.items()],
            "tab": tab,
            "sales": list(selectors.sales_published().order_by("-starts_at")[:12]),
            "cards": [_card(lot) for lot in lots],
        },
    )


def _card(lot: Lot) -> dict:
    view = selectors.lot_view(lot=lot)
    return {"lot": lot, "view": view, "image": lot.images.order_by("position", "id").first()}


@require_GET
def sale(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        found = selectors.sale_by_public_id(public_id, viewer=request.user)
    except NotFound:
        raise Http404(_("没有找到这个拍卖专场。")) from None
    lots = found.lots.select_related("designer", "shop", "increment_table", "sale").order_by(
        "number", "id"
    )
    return render(
        request,
        "storefront/auctions/sale.html",
        {
            "sale": found,
            "summary": selectors.sale_summary(found),
            "cards": [_card(lot) for lot in lots],
        },
    )


# --- a lot ----------------------------------------------------------------------------------


@require_GET
def lot(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _lot_or_404(request, public_id)
    user = request.user if request.user.is_authenticated else None
    view = selectors.lot_view(lot=found, viewer=user)
    context = {
        "lot": found,
        "view": view,
        "images": list(found.images.order_by("position", "id")),
        "log": selectors.lot_bid_log(lot=found, viewer=user, limit=BIDS_SHOWN),
        "events_url": reverse("storefront:auction_lot_events", args=[found.public_id]),
        "live_url": reverse("api-v1:auctions_lot_live", kwargs={"public_id": found.public_id}),
        "terms": None,
        "offer": None,
    }
    if user is not None and view.phase == selectors.Phase.CLOSED:
        context["terms"] = selectors.purchase_terms(lot=found, user=user)
        if found.status == LotStatus.SECOND_CHANCE:
            offer = getattr(found, "second_chance", None)
            if offer is not None and offer.bidder_id == user.pk:
                context["offer"] = offer
    return render(request, "storefront/auctions/lot.html", context)


def parse_yuan(text: str) -> int | None:
    """A yuan amount typed into the bid form (``1299``, ``1,299.50``, ``¥1299``) as fen
    (``Money.from_yuan``), or ``None`` if it is not one. The service decides the rest
    (positive, not too large, on the grid)."""
    text = (text or "").strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    if len(text) > 20:
        return None
    try:
        return Money.from_yuan(text).fen
    except (ValueError, TypeError):
        return None


@require_POST
@rate_limited("bid")
def lot_bid(request: HttpRequest, public_id: str) -> HttpResponse:
    """Place a maximum bid (yuan in the form), or buy now at the price shown."""
    found = _lot_or_404(request, public_id)
    if not request.user.is_authenticated:
        return _to_login(request, _lot_url(found))
    buy_now = request.POST.get("buy_now") == "1"
    if buy_now:  # the price shown, in fen: a changed price is refused, not paid
        text = request.POST.get("buy_now_fen", "")
        amount: int | str = (
            int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else text[:40]
        )
    else:
        amount = parse_yuan(request.POST.get("max_yuan", ""))
        if amount is None:
            messages.error(request, _("请输入有效的出价金额（元，最多两位小数）。"))
            return redirect(_lot_url(found))
    try:
        result = services.bid_place(
            lot=found,
            bidder=request.user,
            max_fen=amount,
            buy_now=buy_now,
            source=BidSource.WEB,
            client_ip=_client_ip(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if result.bought_now:
            messages.success(request, _("一口价购得！请在付款期限内完成付款。"))
        elif result.leading:
            messages.success(request, _("出价成功，您目前领先。"))
        else:
            messages.warning(request, _("出价已接受，但已有更高的代理出价，您暂未领先。"))
    return redirect(_lot_url(found))


@require_POST
def lot_deposit(request: HttpRequest, public_id: str) -> HttpResponse:
    """Pay the lot's bidder deposit (or its sale's) at the cashier."""
    found = _lot_or_404(request, public_id)
    if not request.user.is_authenticated:
        return _to_login(request, _lot_url(found))
    use_sale = request.POST.get("target") == "sale" and found.sale.deposit_fen > 0
    try:
        deposit = deposits.deposit_create(
            bidder=request.user,
            lot=None if use_sale else found,
            sale=found.sale if use_sale else None,
        )
        url = payment_start(payment=deposit.payment, channel="page").url
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_lot_url(found))
    return redirect(url)


@require_POST
def lot_watch(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _lot_or_404(request, public_id)
    if not request.user.is_authenticated:
        return _to_login(request, _lot_url(found))
    try:
        if request.POST.get("action") == "unwatch":
            services.lot_unwatch(lot=found, user=request.user)
            messages.success(request, _("已取消关注。"))
        else:
            services.lot_watch(lot=found, user=request.user)
            messages.success(request, _("已关注这件拍品。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    if request.POST.get("next") == "me":
        return redirect("storefront:my_auctions")
    return redirect(_lot_url(found))


@require_GET
def lot_events(request: HttpRequest, public_id: str) -> HttpResponse:
    """The lot's live changes as server-sent events (``auctions.stream``); 503 when this
    process holds all the streams it may (the page then polls)."""
    found = _lot_or_404(request, public_id)
    if not stream.slots.take():
        response = HttpResponse(
            _("实时连接已满，页面将改为定时刷新。"),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = "30"
        return response
    user = request.user if request.user.is_authenticated else None
    try:
        frames = stream.lot_event_stream(
            lot=found,
            viewer=stream.Viewer.of(user, found),
            last_version=stream.parse_last_event_id(request.headers.get("Last-Event-ID")),
            language=get_language(),
        )
    except BaseException:
        stream.slots.give_back()
        raise
    response = StreamingHttpResponse(
        stream.SlotHeld(frames), content_type="text/event-stream; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


# --- paying for a lot won -------------------------------------------------------------------


class LotCheckoutForm(CheckoutForm):
    """The store's delivery and address fields, without the cart's hidden totals."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("idempotency_key", "total_address", "total_pickup"):
            del self.fields[name]


@login_required
@require_http_methods(["GET", "POST"])
def lot_checkout(request: HttpRequest, public_id: str) -> HttpResponse:
    """The winner (or a runner-up with an offer) chooses delivery, then pays at the
    cashier the price less the deposit credited."""
    found = _lot_or_404(request, public_id)
    terms = selectors.purchase_terms(lot=found, user=request.user)
    if terms is None:
        messages.error(request, _("您现在不能为这件拍品付款。"))
        return redirect(_lot_url(found))
    if request.method == "POST":
        form = LotCheckoutForm(request.POST)
        if form.is_valid():
            delivery = form.cleaned_data["delivery"]
            try:
                checkout = settlement.lot_checkout_create(
                    lot=found,
                    by=request.user,
                    delivery=delivery,
                    address=form.address() if delivery == "address" else None,
                )
                url = payment_start(payment=checkout.payment, channel="page").url
            except DomainError as exc:
                wrong = (exc.details or {}).get("field") if exc.code == "invalid_address" else None
                form.add_error(wrong if wrong in form.address_keys else None, exc.message)
            else:
                return redirect(url)
    else:
        form = LotCheckoutForm(initial={"delivery": "address"})
    return render(
        request,
        "storefront/auctions/checkout.html",
        {
            "lot": found,
            "terms": terms,
            "form": form,
            "address_fields": [form[name] for name in form.address_keys],
        },
    )


@login_required
@require_POST
def offer_decline(request: HttpRequest, public_id: str) -> HttpResponse:
    """The runner-up declines their second-chance offer on the lot."""
    found = _lot_or_404(request, public_id)
    offer = getattr(found, "second_chance", None)
    if offer is None or offer.bidder_id != request.user.pk:
        raise Http404(_("没有找到这个优先购买机会。"))
    try:
        settlement.second_chance_decline(offer=offer, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已放弃优先购买。"))
    return redirect(_lot_url(found))


# --- mine -------------------------------------------------------------------------------------


@login_required
@require_GET
def my_auctions(request: HttpRequest) -> HttpResponse:
    """ "My bids" (with where each stands) and the lots watched."""
    bids = selectors.lots_bid_on(user=request.user)
    return render(
        request,
        "storefront/auctions/mine.html",
        {
            "bids": [{"row": row, "label": STANDING_LABELS[row.standing]} for row in bids],
            "watching": list(selectors.lots_watched(user=request.user)),
        },
    )
