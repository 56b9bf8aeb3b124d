"""Rendered pages for visitors without a session, kept a few seconds in the shared cache.

Browsing visitors (no session cookie: not logged in, no cart, no pending
message) all see the same product, designer, shop and home pages, so one
rendering per language serves them for ``STOREFRONT_PAGE_CACHE_SECONDS``.
The CSRF token is the one personal part: the cached copy holds a placeholder
that each response replaces with the visitor's own token, so the forms on a
cached page (add to cart, language switch) work with or without JavaScript.

A product's pages are dropped when the catalog announces that it changed
(``catalog.signals.products_changed``); stock shown may lag by at most the
cache time, and the cart and checkout always recheck it. Query strings are
never cached (they would let anyone fill the cache).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from designmall.catalog.models import Product
from designmall.catalog.signals import products_changed

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


@receiver(products_changed, dispatch_uid="storefront.pagecache.products_changed")
def _drop_product_pages(sender, product_ids, **kwargs) -> None:
    public_ids = Product.objects.filter(id__in=product_ids).values_list("public_id", flat=True)
    cache.delete_many(product_page_keys(public_ids))
