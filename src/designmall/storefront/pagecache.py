"""Rendered pages for visitors without a session, kept a few seconds in the shared cache.

Browsing visitors (no session cookie: not logged in, no cart, no pending
message) all see the same product, designer, shop and home pages, so one
rendering per language serves them for ``STOREFRONT_PAGE_CACHE_SECONDS``.
The CSRF token is the one personal part: the cached copy holds a placeholder
that each response replaces with the visitor's own token, so the forms on a
cached page (add to cart, language switch) work with or without JavaScript.

A product's pages are dropped when the catalog announces that it changed
(``catalog.signals.products_changed``), with its shop-mates' pages (their "more
from this shop" shows it) and the catalog data the pages are rendered from
(``productcache``); so are they when an image, a designer, a shop or a category
is saved (changes the catalog does not announce). Stock shown may lag by at
most the cache time, and the cart and checkout always recheck it. Query
strings are never cached (they would let anyone fill the cache).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

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
    return f"storefront:page:{page}:{ident}:{language}"


def _storable(response: HttpResponse) -> str | None:
    """The page with its CSRF token replaced by the placeholder, or None if it is personal."""
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies.keys() - {settings.CSRF_COOKIE_NAME}
    ):
        return None
    html = response.content.decode(response.charset)
    tokens = set(_TOKEN_FIELD.findall(html))
    for token in tokens:
        html = html.replace(f'value="{token}"', f'value="{_TOKEN_PLACEHOLDER}"')
    return html


def cached_for_visitors(page: str, *, ident: Callable[..., str] = lambda **kwargs: "-"):
    """Serve the view's page from the cache to visitors without a session.

    ``page`` names the page in the cache key, ``ident(**view_kwargs)`` the thing shown.
    Everyone else gets the page rendered for them.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _cacheable(request):
                return view(request, *args, **kwargs)
            key = page_key(page, ident(**kwargs), get_language() or settings.LANGUAGE_CODE)
            html = cache.get(key)
            if html is None:
                response = view(request, *args, **kwargs)
                stored = _storable(response)
                if stored is not None:
                    cache.set(key, stored, settings.STOREFRONT_PAGE_CACHE_SECONDS)
                return response
            response = HttpResponse(html.replace(_TOKEN_PLACEHOLDER, get_token(request)))
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
