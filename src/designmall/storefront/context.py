"""What every page's layout needs. Values are lazy: admin pages pay for nothing they don't show."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from designmall.core.bilingual import is_english, pick_from
from designmall.storefront.selectors import nav_categories, user_has_shop


def _localised_nav(language: str) -> list[dict]:
    def name(node: dict) -> str:
        return pick_from(node, "name", language=language)

    return [
        {
            "slug": top["slug"],
            "name": name(top),
            "children": [{"slug": c["slug"], "name": name(c)} for c in top["children"]],
        }
        for top in nav_categories()
    ]


def _seller_link(user) -> bool:
    """Sellers and shop applicants get the seller center in their menu."""
    return bool(user.is_authenticated and user_has_shop(user))


def storefront(request):
    language = get_language() or "zh-hans"
    user = getattr(request, "user", None)
    return {
        "nav_categories": SimpleLazyObject(lambda: _localised_nav(language)),
        "has_seller_center": SimpleLazyObject(lambda: user is not None and _seller_link(user)),
        "search_q": request.GET.get("q", "")[:100],
        "is_english": is_english(language),
    }
