"""Rendered pages for visitors without a session, kept in the shared cache.

Browsing visitors (no session cookie: not logged in, no cart, no pending
message) all see the same product, designer, shop and home pages, so one
rendering per language serves them for ``STOREFRONT_PAGE_CACHE_SECONDS``.
The CSRF token is the one personal part: the cached copy holds a placeholder
that each response replaces with the visitor's own token, so the forms on a
cached page (add to cart, language switch) work with or without JavaScript.

A page may also have a live part, drawn anew for every visitor: a product
page's price, SKU choice and stock. Since its stock is never stale, a product
page is kept as long as the catalog data it is drawn from
(``STOREFRONT_PRODUCT_DATA_SECONDS``, if longer), and a visitor served from the
cache costs one statement (the stock). The header's category list on such a
page may be that much older than the minute it is kept elsewhere.

A product's pages are dropped when the catalog announces that it changed
(``catalog.signals.products_changed``), with its shop-mates' pages (their "more
from this shop" shows it) and the catalog data the pages are rendered from
(``productcache``); so are they when an image, a designer, a shop or a category
is saved (changes the catalog does not announce). A product selling out or
coming back is announced too, so the "sold out" marks of its cards follow;
the cart and checkout always recheck stock. Query strings are never cached
(they would let anyone fill the cache).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from designmall.catalog.models import Category, Designer, Product, ProductImage, Shop
from designmall.catalog.signals import products_changed
from designmall.storefront.productcache import drop_product_data

_TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_TOKEN_PLACEHOLDER = "\x00csrf-token\x00"
_LIVE_PLACEHOLDER = "\x00live-part\x00"
_MESSAGES_COOKIE = "messages"


def _cacheable(request: HttpRequest) -> bool:
    return (
        settings.STOREFRONT_PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and _MESSAGES_COOKIE not in request.COOKIES
    )


def page_key(page: str, ident: str, language: str) -> str:
    return f"storefront:page:v2:{page}:{ident}:{language}"


@dataclass(frozen=True)
class LivePart:
    """The part of a page drawn anew for every visitor, even when the rest comes from the
    cache: its HTML in this response, and the state the view's ``draw_live_part(request,
    state)`` draws it again from (kept with the cached page)."""

    html: str
    state: Any


def mark_live_part(response: HttpResponse, html: str, state: Any) -> HttpResponse:
    """Tell ``cached_for_visitors`` which part of ``response`` is live (see ``LivePart``)."""
    response.live_part = LivePart(html, state)
    return response


def _storable(response: HttpResponse, *, can_draw_live_part: bool) -> tuple[str, Any] | None:
    """The page with its live part and CSRF token replaced by placeholders, and the live
    part's state; None if the page is personal, or has a live part that cannot be drawn
    again or found exactly once."""
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies.keys() - {settings.CSRF_COOKIE_NAME}
    ):
        return None
    html = response.content.decode(response.charset)
    live = getattr(response, "live_part", None)
    if live is not None:
        if not can_draw_live_part or html.count(live.html) != 1:
            return None
        html = html.replace(live.html, _LIVE_PLACEHOLDER)
    tokens = set(_TOKEN_FIELD.findall(html))
    for token in tokens:
        html = html.replace(f'value="{token}"', f'value="{_TOKEN_PLACEHOLDER}"')
    return html, live.state if live is not None else None


def page_csrf_token(request: HttpRequest) -> str:
    """The visitor's CSRF token as this response shows it: every call gives a new masking
    of the secret, so a page drawn in parts asks here for the one all its forms show."""
    token = getattr(request, "_page_csrf_token", None)
    if token is None:
        token = request._page_csrf_token = get_token(request)
    return token


def _page_cache_seconds() -> int:
    return settings.STOREFRONT_PAGE_CACHE_SECONDS


def cached_for_visitors(
    page: str,
    *,
    ident: Callable[..., str] = lambda **kwargs: "-",
    seconds: Callable[[], int] = _page_cache_seconds,
    draw_live_part: Callable[[HttpRequest, Any], str] | None = None,
):
    """Serve the view's page from the cache to visitors without a session.

    ``page`` names the page in the cache key, ``ident(**view_kwargs)`` the thing shown;
    pages are kept ``seconds()``. A view whose page has a part that must be current
    for every visitor marks it (``mark_live_part``) and gives ``draw_live_part``, which
    draws it for each visitor served from the cache. Everyone else gets the page
    rendered for them.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _cacheable(request):
                return view(request, *args, **kwargs)
            key = page_key(page, ident(**kwargs), get_language() or settings.LANGUAGE_CODE)
            found = cache.get(key)
            if found is None:
                response = view(request, *args, **kwargs)
                stored = _storable(response, can_draw_live_part=draw_live_part is not None)
                kept_for = seconds()
                if stored is not None and kept_for > 0:
                    cache.set(key, stored, kept_for)
                return response
            html, state = found
            if draw_live_part is not None:
                html = html.replace(_LIVE_PLACEHOLDER, draw_live_part(request, state))
            response = HttpResponse(html.replace(_TOKEN_PLACEHOLDER, page_csrf_token(request)))
            patch_vary_headers(response, ("Cookie",))
            return response

        return wrapped

    return decorate


def product_page_keys(public_ids: Iterable[str]) -> list[str]:
    return [
        page_key("product", public_id, language)
        for public_id in public_ids
        for language, _name in settings.LANGUAGES
    ]


def drop_product_pages(product_ids) -> None:
    """Drop the pages of these products and of their shop-mates ("more from this shop"
    shows them), and the catalog data those pages are rendered from."""
    shop_ids = Product.objects.filter(id__in=product_ids).values("shop_id")
    public_ids = list(
        Product.objects.filter(Q(id__in=product_ids) | Q(shop_id__in=shop_ids)).values_list(
            "public_id", flat=True
        )
    )
    cache.delete_many(product_page_keys(public_ids))
    drop_product_data(public_ids)


@receiver(products_changed, dispatch_uid="storefront.pagecache.products_changed")
def _products_changed(sender, product_ids, **kwargs) -> None:
    drop_product_pages(product_ids)


# What the catalog changes without announcing it (images; a designer's portrait, a shop's
# or category's fields edited in the back office): dropped after the change commits.


def _drop_after_commit(product_ids) -> None:
    transaction.on_commit(lambda: drop_product_pages(product_ids))


@receiver(post_save, sender=ProductImage, dispatch_uid="storefront.pagecache.image_saved")
@receiver(post_delete, sender=ProductImage, dispatch_uid="storefront.pagecache.image_deleted")
def _image_changed(sender, instance, **kwargs) -> None:
    _drop_after_commit([instance.product_id])


@receiver(post_save, sender=Designer, dispatch_uid="storefront.pagecache.designer_saved")
def _designer_changed(sender, instance, created, **kwargs) -> None:
    if not created:
        _drop_after_commit(Product.objects.filter(designer_id=instance.pk).values("id"))


@receiver(post_save, sender=Shop, dispatch_uid="storefront.pagecache.shop_saved")
def _shop_changed(sender, instance, created, **kwargs) -> None:
    if not created:
        _drop_after_commit(Product.objects.filter(shop_id=instance.pk).values("id"))


@receiver(post_save, sender=Category, dispatch_uid="storefront.pagecache.category_saved")
def _category_changed(sender, instance, created, **kwargs) -> None:
    if not created:
        _drop_after_commit(
            Product.objects.filter(
                Q(category_id=instance.pk) | Q(category__parent_id=instance.pk)
            ).values("id")
        )
