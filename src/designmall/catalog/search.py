"""Full-text product search behind one interface (SQLite FTS5 / PostgreSQL).

Interface used by services, selectors, the API and pages:

- ``products_reindex(product_ids)``: rebuild the search documents of these
  products (called by catalog services after every change to a product's text
  or status); ``products_reindex_all()`` rebuilds everything.
- ``product_search(query=..., filters=..., sort=..., page=..., per_page=...)``
  returns a ``SearchPage`` of live products from open shops.

Implementation: see the helper's work (jieba segmentation, FTS5 / tsvector).
"""

# TEMPORARY scaffold so other work can run; replaced by the real engines.
from dataclasses import dataclass, field


@dataclass
class SearchFilters:
    category_ids: list[int] | None = None
    designer_id: int | None = None
    shop_id: int | None = None
    origin: str | None = None
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    in_stock: bool | None = None


@dataclass
class SearchPage:
    products: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 24

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def products_reindex(product_ids) -> None:
    return None


def products_reindex_all() -> int:
    return 0


def product_search(*, query="", filters=None, sort="relevance", page=1, per_page=24) -> SearchPage:
    from django.db.models import Q

    from designmall.catalog.selectors import products_on_sale

    qs = products_on_sale()
    if query:
        qs = qs.filter(Q(title_zh__icontains=query) | Q(title_en__icontains=query))
    f = filters or SearchFilters()
    if f.category_ids:
        qs = qs.filter(category_id__in=f.category_ids)
    if f.designer_id:
        qs = qs.filter(designer_id=f.designer_id)
    if f.shop_id:
        qs = qs.filter(shop_id=f.shop_id)
    if f.origin:
        qs = qs.filter(origin=f.origin)
    if f.price_min_fen is not None:
        qs = qs.filter(price_min_fen__gte=f.price_min_fen)
    if f.price_max_fen is not None:
        qs = qs.filter(price_min_fen__lte=f.price_max_fen)
    if f.in_stock:
        qs = qs.filter(in_stock=True)
    order = {"price": "price_min_fen", "-price": "-price_min_fen"}.get(sort, "-published_at")
    qs = qs.order_by(order, "-id").select_related("shop", "designer")
    total = qs.count()
    start = (page - 1) * per_page
    return SearchPage(list(qs[start : start + per_page]), total, page, per_page)
