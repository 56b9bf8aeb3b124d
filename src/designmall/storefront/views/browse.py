"""Buyer pages: home, search and categories, product, designer and shop pages."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from designmall.catalog.models import Category
from designmall.catalog.namesearch import Makers, makers_matching
from designmall.catalog.search import SearchFilters, SearchPage, product_search
from designmall.catalog.selectors import (
    category_with_descendant_ids,
    designer_by_public_id,
    shop_open_by_public_id,
)
from designmall.core import clock
from designmall.core.errors import NotFound
from designmall.inventory.selectors import available_by_sku
from designmall.presale import selectors as presale_selectors
from designmall.promotions import selectors as coupons
from designmall.storefront import selectors
from designmall.storefront.forms import SearchForm
from designmall.storefront.pagecache import cached_for_visitors, mark_live_part, page_csrf_token
from designmall.storefront.productcache import BuyChoices, product_page, product_page_seconds
from designmall.storefront.views import events
from designmall.storefront.views.coupons import coupon_cards
from designmall.storefront.views.deals import product_deal_banner
from designmall.storefront.week import design_week

PER_PAGE = 24
COUPONS_SHOWN = 6
# What storefront/coupons/_strip.html renders without coupons (the script finds the mark).
EMPTY_COUPON_STRIP = "<div data-coupon-strip></div>\n"
MAX_PAGE = 1000


def _page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def page_window(current: int, pages: int, *, around: int = 1) -> list[int | None]:
    """Page numbers to link: first, last and a few around the current one; None is a gap."""
    shown = {1, pages, *range(max(1, current - around), min(pages, current + around) + 1)}
    window: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous == 2:  # a gap of one page: show the page, not "…"
            window.append(previous + 1)
        elif number - previous > 2:
            window.append(None)
        window.append(number)
        previous = number
    return window


def _search(
    *, query: str, filters: SearchFilters, sort: str, page: int, per_page: int | None = None
) -> SearchPage:
    per_page = per_page or PER_PAGE
    results = product_search(query=query, filters=filters, sort=sort, page=page, per_page=per_page)
    if results.total and page > results.pages:
        # A page past the end (an old link, a shrunk result): show the last one.
        results = product_search(
            query=query, filters=filters, sort=sort, page=results.pages, per_page=per_page
        )
    selectors.with_covers(results.products)
    return results


@require_GET
@cached_for_visitors("home")
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "storefront/home.html",
        {
            "week": design_week(),
            "categories": selectors.top_categories(),
            "designers": selectors.renowned_designers(),
            "new_arrivals": selectors.new_arrivals(),
            "shops": selectors.featured_shops(),
            "events_strip": events.home_strip(),
        },
    )


def _search_page(request: HttpRequest, *, category: Category | None, category_ids=None):
    form = SearchForm(request.GET)
    form.is_valid()  # invalid fields are reported below and left out of the search
    data = form.cleaned_data
    problems = [
        _("%(field)s：%(message)s") % {"field": form.fields[name].label, "message": message}
        for name, messages in form.errors.items()
        for message in messages
    ]
    filters = SearchFilters(
        category_ids=category_ids,
        origin=data.get("origin") or None,
        price_min_fen=data.get("price_min"),
        price_max_fen=data.get("price_max"),
        in_stock=True if data.get("in_stock") else None,
    )
    if category is None and data.get("category"):
        try:
            category, filters.category_ids = category_with_descendant_ids(slug=data["category"])
        except NotFound:
            problems.append(_("没有这个分类，已显示全部分类的结果。"))
    designer = shop = None
    if data.get("designer"):
        try:
            designer = designer_by_public_id(public_id=data["designer"])
            filters.designer_id = designer.id
        except NotFound:
            problems.append(_("没有找到这位设计师，已忽略该条件。"))
    if data.get("shop"):
        try:
            shop = shop_open_by_public_id(public_id=data["shop"])
            filters.shop_id = shop.id
        except NotFound:
            problems.append(_("没有找到这个店铺，已忽略该条件。"))
    query = data.get("q", "").strip()
    sort = data.get("sort") or ("relevance" if query else "newest")
    results = _search(query=query, filters=filters, sort=sort, page=_page_number(request))
    # The shops and designers a query names come above its products, on its first page.
    makers = (
        makers_matching(query)
        if query and results.page == 1 and not (designer or shop or category)
        else Makers()
    )
    return render(
        request,
        "storefront/search.html",
        {
            "form": form,
            "query": query,
            "makers": makers,
            "sort": sort,
            "results": results,
            "page_window": page_window(results.page, results.pages),
            "problems": problems,
            "category": category,
            "subcategories": list(category.children.all()) if category else [],
            "designer": designer,
            "shop": shop,
            # The search page filters by category in its form; a category page is one already.
            "category_choices": selectors.category_choices() if category_ids is None else [],
        },
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    return _search_page(request, category=None)


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        found, ids = category_with_descendant_ids(slug=slug)
    except NotFound:
        raise Http404(_("没有这个分类。")) from None
    return _search_page(request, category=found, category_ids=ids)


# Which products are on pre-sale is kept this long, so a product page not on pre-sale costs
# no statement for it: a campaign approved shows on its product's page within this time.
PRESALE_PRODUCTS_KEY = "presale:product-ids:1"
PRESALE_PRODUCTS_SECONDS = 30


def products_on_presale(now) -> list[int]:
    return cache.get_or_set(
        PRESALE_PRODUCTS_KEY,
        lambda: presale_selectors.product_ids_on_presale(now=now),
        PRESALE_PRODUCTS_SECONDS,
    )


def _presale_block(request: HttpRequest, skus: list) -> str:
    """The product's pre-sale, if one is live or coming: price, deposit and its credit, the
    windows with countdowns, the promised ship date, what a missed balance costs, units
    left, and the pre-order button (drawn on every request, with the stock)."""
    if not skus:
        return ""
    now = clock.now()
    product_id = skus[0].product_id
    if product_id not in products_on_presale(now):
        return ""
    campaign = presale_selectors.campaign_on_product_page(product_id=product_id, now=now)
    if campaign is None:
        return ""
    rows = [row for row in campaign.skus.all() if row.sku.is_active]
    return render_to_string(
        "storefront/includes/product_presale.html",
        {
            "campaign": campaign,
            "rows": rows,
            "chosen": next((r for r in rows if r.left > 0), rows[0] if rows else None),
            "phase": presale_selectors.campaign_phase(campaign, now),
            "ship": campaign.promised_ship_date,
            "hold_minutes": settings.PRESALE_DEPOSIT_HOLD_MINUTES,
            "csrf_token": page_csrf_token(request),
        },
    )


def _buy_form(request: HttpRequest, choices: BuyChoices) -> str:
    """The price, SKU choice with current stock, and add-to-cart form of a product page."""
    skus = choices.skus
    available = available_by_sku(sku.id for sku in skus)
    for sku in skus:
        sku.available = available[sku.id]
    buy = render_to_string(
        "storefront/includes/product_buy.html",
        {
            "skus": skus,
            "chosen_sku": next((s for s in skus if s.available > 0), skus[0] if skus else None),
            "attribute_names": choices.attribute_names,
            "price_display": choices.price_display,
            "csrf_token": page_csrf_token(request),
            "next_path": request.get_full_path(),
        },
    )
    strip = ""
    if choices.product_id:
        strip = coupon_strip(
            request,
            coupons.claimable_covering(
                product_id=choices.product_id,
                shop_id=choices.shop_id,
                category_id=choices.category_id,
            ),
        )
    banner = product_deal_banner(skus[0].product_id) if skus else ""
    return banner + _presale_block(request, skus) + buy + strip


def coupon_strip(request: HttpRequest, templates) -> str:
    """The 领券 strip of a product or shop page: the coupons claimable now that apply, with
    claim buttons (drawn for every visitor, from ``claimable_index``; a logged-in
    visitor's own claims are read only when some coupon applies)."""
    found = templates[:COUPONS_SHOWN]
    if not found:  # no coupon covers it: the empty mark the script looks for, unrendered
        return EMPTY_COUPON_STRIP
    return render_to_string(
        "storefront/coupons/_strip.html",
        {
            "cards": coupon_cards(found, request.user),
            "next_path": request.get_full_path(),
            "csrf_token": page_csrf_token(request),
        },
    )


def _shop_coupons(request: HttpRequest, shop_id: int) -> str:
    return coupon_strip(request, coupons.claimable_for_shop_id(shop_id))


@require_GET
@cached_for_visitors(
    "product",
    ident=lambda public_id: public_id,
    seconds=product_page_seconds,
    draw_live_part=_buy_form,
)
def product(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        data, parts = product_page(
            public_id=public_id, language=get_language() or settings.LANGUAGE_CODE
        )
    except NotFound:
        raise Http404(_("没有找到这个商品。")) from None
    choices = BuyChoices(
        skus=data.skus,
        attribute_names=data.option_names(),
        price_display=data.product.price_display,
        product_id=data.product.pk,
        shop_id=data.product.shop_id,
        category_id=data.product.category_id,
    )
    buy = _buy_form(request, choices)
    response = render(
        request,
        "storefront/product.html",
        {
            "product": data.product,
            "buy": mark_safe(buy),
            "parts": parts,
            "csrf_token": page_csrf_token(request),
        },
    )
    return mark_live_part(response, buy, choices)


@require_GET
@cached_for_visitors("designer", ident=lambda public_id: public_id)
def designer(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        found = designer_by_public_id(public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这位设计师。")) from None
    results = _search(
        query="",
        filters=SearchFilters(designer_id=found.id),
        sort="newest",
        page=_page_number(request),
    )
    return render(
        request,
        "storefront/designer.html",
        {
            "designer": found,
            "shops": selectors.designer_open_shops(found),
            "results": results,
            "page_window": page_window(results.page, results.pages),
        },
    )


@require_GET
@cached_for_visitors("shop", ident=lambda public_id: public_id, draw_live_part=_shop_coupons)
def shop(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        found = shop_open_by_public_id(public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个店铺。")) from None
    results = _search(
        query="", filters=SearchFilters(shop_id=found.id), sort="newest", page=_page_number(request)
    )
    strip = _shop_coupons(request, found.pk)
    response = render(
        request,
        "storefront/shop.html",
        {
            "shop": found,
            "results": results,
            "page_window": page_window(results.page, results.pages),
            "coupon_strip": mark_safe(strip),
        },
    )
    return mark_live_part(response, strip, found.pk)
