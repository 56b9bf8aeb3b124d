"""Shops and designers whose names match a search query (the search box's promise).

A query is cut into words the way product search cuts it (``query_terms``: jieba
for Chinese, stop words dropped, full-width folded), and a shop or designer
matches when every word occurs in its Chinese or English name. There are few
shops and designers beside products, so names are matched in the database with
no index of their own; the results are capped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from designmall.catalog.models import Designer, ProductStatus, Shop, ShopStatus
from designmall.catalog.searchengines.text import query_terms

MAX_MAKERS = 4


@dataclass
class Makers:
    """The shops (open ones) and designers a query names, best first."""

    shops: list[Shop] = field(default_factory=list)
    designers: list[Designer] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.shops or self.designers)


def _name_condition(query: str) -> Q | None:
    terms = query_terms(query)
    if not terms:
        return None
    condition = Q()
    for term in terms:
        condition &= Q(name_zh__icontains=term.text) | Q(name_en__icontains=term.text)
    return condition


def _exact_first(items: list, query: str) -> list:
    wanted = query.strip().casefold()
    return sorted(
        items,
        key=lambda item: 0 if wanted in (item.name_zh.casefold(), item.name_en.casefold()) else 1,
    )


def makers_matching(query: str, *, limit: int = MAX_MAKERS) -> Makers:
    """The open shops and the designers whose names hold every word of ``query``.

    An exact name comes first, then designers marked renowned and shops with
    more products on sale. Never raises on odd input; a blank query names nobody.
    """
    condition = _name_condition(query) if isinstance(query, str) else None
    if condition is None:
        return Makers()
    shops: QuerySet[Shop] = (
        Shop.objects.filter(condition, status=ShopStatus.APPROVED)
        .select_related("designer")
        .annotate(live_count=Count("products", filter=Q(products__status=ProductStatus.LIVE)))
        .order_by("-live_count", "name_en", "id")[:limit]
    )
    designers = Designer.objects.filter(condition).order_by("-is_renowned", "name_en", "id")[:limit]
    return Makers(
        shops=_exact_first(list(shops), query), designers=_exact_first(list(designers), query)
    )


def designers_named(query: str, *, limit: int = 20) -> list[Designer]:
    """Designers for a picker: those whose names hold every word of ``query``, renowned
    first; a blank query gives the first ``limit`` by name."""
    designers = Designer.objects.order_by("-is_renowned", "name_en", "id")
    if isinstance(query, str) and query.strip():
        condition = _name_condition(query)
        if condition is None:
            return []
        designers = designers.filter(condition)
    return list(designers[:limit])
