"""The layout's parts that are the same on nearly every page, rendered once per process.

The header's category bar is the layout's dearest part (a link, a translation and a
lookup per category: half of the layout's rendering time on a product page). Its
markup depends only on the language, the address the site is served under and the
categories (kept a minute in the shared cache, ``selectors.nav_categories``); on the
search page and category pages it also marks the current link. So on every other page
the bar is rendered once per language, prefix and set of categories, and then reused.
"""

from __future__ import annotations

import threading

from django import template
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from designmall.storefront.selectors import nav_categories

register = template.Library()

CATEGORY_BAR = "storefront/includes/category_bar.html"
# Pages whose bar marks a current link (``aria-current``): always rendered.
_MARKING_VIEWS = frozenset({"storefront:search", "storefront:category"})

# (language, script prefix, urlconf) -> (the categories it shows, the bar's markup). One
# entry per language and prefix: a change of the categories replaces it.
_bars: dict[tuple, tuple[tuple, SafeString]] = {}
_bars_lock = threading.Lock()


def _marks_current_link(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return request is None or match is None or match.view_name in _MARKING_VIEWS


def _shown(tree: list[dict]) -> tuple:
    """What of the categories the bar shows (it shows no subcategories)."""
    return tuple((top["slug"], top["name_zh"], top["name_en"]) for top in tree)


def _render(bar, context) -> SafeString:
    with context.push():
        return mark_safe(bar.render(context))


@register.simple_tag(takes_context=True)
def category_bar(context) -> SafeString:
    """The header's category bar (``includes/category_bar.html``)."""
    bar = context.template.engine.get_template(CATEGORY_BAR)
    request = context.get("request")
    if _marks_current_link(request):
        return _render(bar, context)
    key = (get_language(), get_script_prefix(), get_urlconf())
    shown = _shown(nav_categories())
    kept = _bars.get(key)
    if kept is not None and kept[0] == shown:
        return kept[1]
    markup = _render(bar, context)
    with _bars_lock:
        _bars[key] = (shown, markup)
    return markup
