"""The show's pages: what a printed QR code opens (a booth, an exhibit: phone first), and
the seller center's booths (list exhibits, download the print sheet). Rules are in
``o2o``; these pages parse input, call it and show the answer."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designmall.auctions.models import Lot
from designmall.catalog.models import Product, ProductStatus
from designmall.catalog.services import shop_for_seller
from designmall.core.errors import DomainError, NotFound
from designmall.o2o import favourites, selectors, services, sheets, votes
from designmall.o2o.models import ExhibitKind

# A year: long enough to span the week and the visitor's next one.
VISITOR_COOKIE_SECONDS = 365 * 24 * 3600


def visitor_id(request: HttpRequest) -> str:
    """This browser's first-party visitor id (signed cookie), or ""."""
    return request.get_signed_cookie(settings.O2O_VISITOR_COOKIE, default="", salt="o2o.visitor")


def _scanned(request: HttpRequest, response: HttpResponse, booth, exhibit=None) -> HttpResponse:
    """Record the scan; a visitor not logged in gets a cookie id to be known by."""
    vid = visitor_id(request)
    if not vid and not request.user.is_authenticated:
        vid = secrets.token_urlsafe(18)
        response.set_signed_cookie(
            settings.O2O_VISITOR_COOKIE,
            vid,
            salt="o2o.visitor",
            max_age=VISITOR_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    services.scan_record(booth=booth, exhibit=exhibit, user=request.user, visitor_id=vid)
    return response


def visitor_scans_merge(request: HttpRequest) -> None:
    """After a login: this browser's anonymous scans become the account's."""
    services.scans_merge(user=request.user, visitor_id=visitor_id(request))


@require_GET
def booth(request: HttpRequest, code: str) -> HttpResponse:
    """A booth's page: the shop, where and when, its exhibits."""
    try:
        found = selectors.booth_by_code(code)
    except NotFound:
        raise Http404(_("没有找到这个展位。")) from None
    kept = favourites.favourite_exhibit_ids(user=request.user, exhibits=list(found.exhibits.all()))
    response = render(
        request,
        "storefront/show/booth.html",
        {"booth": found, "is_open": selectors.booth_is_open(found), "kept": kept},
    )
    return _scanned(request, response, found)


@require_GET
def exhibit(request: HttpRequest, code: str) -> HttpResponse:
    """An exhibit's page: pictures, designer, price and stock, buy, the lot's live price."""
    try:
        found = selectors.exhibit_by_code(code)
    except NotFound:
        raise Http404(_("没有找到这个展品。")) from None
    page = selectors.exhibit_page(exhibit=found, viewer=request.user)
    context = {
        "page": page,
        "exhibit": found,
        "kept": favourites.favourite_exhibit_ids(user=request.user, exhibits=[found]),
        "vote_categories": votes.open_categories_of(found),
    }
    response = render(request, "storefront/show/exhibit.html", context)
    return _scanned(request, response, found.booth, found)


@require_http_methods(["GET", "POST"])
def my_scans(request: HttpRequest) -> HttpResponse:
    """The visitor's own scan history (account and this browser); POST clears it."""
    vid = visitor_id(request)
    if request.method == "POST":
        cleared = services.scans_clear(user=request.user, visitor_id=vid)
        messages.success(request, _("已清除 %(n)d 条扫码记录。") % {"n": cleared})
        return redirect("storefront:show_my_scans")
    scans = list(selectors.scans_of_visitor(user=request.user, visitor_id=vid)[:200])
    return render(request, "storefront/show/my_scans.html", {"scans": scans})


# --- the seller center --------------------------------------------------------------------


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def seller_booths(request: HttpRequest) -> HttpResponse:
    """The seller's booths at the show with their exhibits and the form to list one."""
    try:
        shop = shop_for_seller(user=request.user)
    except NotFound:
        raise Http404(_("您还没有店铺。")) from None
    booths = list(selectors.booths_of_shop(shop=shop))
    products = Product.objects.filter(shop=shop, status=ProductStatus.LIVE).order_by("-id")[:200]
    lots = Lot.objects.filter(shop=shop).order_by("-id")[:100]
    return render(
        request,
        "storefront/seller/booths.html",
        {
            "shop": shop,
            "booths": booths,
            "products": products,
            "lots": lots,
            "kinds": ExhibitKind.choices,
        },
    )


@login_required
@require_POST
def seller_exhibit_add(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        found = services.booth_for_seller(user=request.user, public_id=public_id)
        services.exhibit_create(
            booth=found,
            by=request.user,
            kind=request.POST.get("kind", ""),
            product=request.POST.get("product") or None,
            lot=request.POST.get("lot") or None,
            title_zh=request.POST.get("title_zh", ""),
            title_en=request.POST.get("title_en", ""),
            story_zh=request.POST.get("story_zh", ""),
            story_en=request.POST.get("story_en", ""),
        )
    except NotFound:
        raise Http404(_("没有找到这个展位。")) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("展品已添加。"))
    return redirect("storefront:seller_booths")


@login_required
@require_POST
def seller_exhibit_remove(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        found = services.exhibit_for_seller(user=request.user, public_id=public_id)
        services.exhibit_remove(exhibit=found, by=request.user)
    except NotFound:
        raise Http404(_("没有找到这个展品。")) from None
    messages.success(request, _("展品已撤下。"))
    return redirect("storefront:seller_booths")


@login_required
@require_GET
def seller_booth_sheet(request: HttpRequest, public_id: str) -> HttpResponse:
    """The booth's print sheet: its table card and a label per exhibit (PDF)."""
    try:
        found = services.booth_for_seller(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个展位。")) from None
    return _pdf(sheets.booth_sheet_pdf(found), f"booth-{found.number}.pdf")
