"""Reads that shape catalog data for the pages (on top of catalog.selectors).

Buyers only ever see products from ``catalog.selectors.products_on_sale``;
sellers see their own shop's products whatever their status.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, prefetch_related_objects

from designmall.accounts.models import User
from designmall.catalog.models import (
    Category,
    Designer,
    Product,
    ProductImage,
    ProductStatus,
    Shop,
    ShopStatus,
    Sku,
)
from designmall.catalog.selectors import category_tree, first_images, products_on_sale
from designmall.orders.models import OrderLine

NAV_CACHE_KEY = "storefront:nav-categories:v1"
NAV_CACHE_SECONDS = 60


def with_covers(products: Iterable[Product]) -> list[Product]:
    """The products, each with ``cover`` set to its first image (or None), in one query."""
    products = list(products)
    covers = first_images(products)
    for product in products:
        product.cover = covers.get(product.id)
    return products


def with_line_photos(orders: Iterable) -> list:
    """The orders, each line with ``photo`` (its product's cover image, or None when the
    product has none or is gone) and each order with ``photo`` (its first line's), in two
    queries. The lines must be prefetched (``orders.selectors``), so they keep ``photo``."""
    orders = list(orders)
    prefetch_related_objects(orders, Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
    sku_ids = {line.sku_id for order in orders for line in order.lines.all()}
    product_of = dict(Sku.objects.filter(id__in=sku_ids).values_list("id", "product_id"))
    covers: dict[int, ProductImage] = {}
    images = ProductImage.objects.filter(product_id__in=set(product_of.values())).order_by(
        "product_id", "position", "id"
    )
    for image in images:
        covers.setdefault(image.product_id, image)
    for order in orders:
        order.photo = None
        for line in order.lines.all():
            line.photo = covers.get(product_of.get(line.sku_id))
            order.photo = order.photo or line.photo
    return orders


def with_cart_photos(lines: Iterable) -> list:
    """Cart or checkout lines (``orders.selectors.PricedLine``), each SKU's product with
    ``cover`` set (one query)."""
    lines = list(lines)
    with_covers(line.sku.product for line in lines if line.sku is not None)
    return lines


def nav_categories() -> list[dict]:
    """The category tree for the header, cached for a minute for every process.

    Cached as plain data with both languages' names, so one entry serves both.
    """
    tree = cache.get(NAV_CACHE_KEY)
    if tree is None:
        tree = [
            {
                "slug": top.slug,
                "name_zh": top.name_zh,
                "name_en": top.name_en,
                "children": [
                    {"slug": c.slug, "name_zh": c.name_zh, "name_en": c.name_en}
                    for c in top.children.all()
                ],
            }
            for top in category_tree()
        ]
        cache.set(NAV_CACHE_KEY, tree, NAV_CACHE_SECONDS)
    return tree


def category_choices() -> list[Category]:
    """Every category, parents before their children, each with ``depth`` set."""
    result: list[Category] = []
    for top in category_tree():
        top.depth = 0
        result.append(top)
        for child in top.children.all():
            child.depth = 1
            result.append(child)
    return result


def renowned_designers(*, limit: int = 8) -> list[Designer]:
    return list(Designer.objects.filter(is_renowned=True).order_by("name_en", "id")[:limit])


def new_arrivals(*, limit: int = 8) -> list[Product]:
    return with_covers(
        products_on_sale()
        .select_related("shop", "designer")
        .order_by("-published_at", "-id")[:limit]
    )


def featured_shops(*, limit: int = 6) -> list[Shop]:
    """Open shops with the most products on sale first."""
    return list(
        Shop.objects.filter(status=ShopStatus.APPROVED)
        .select_related("designer")
        .annotate(live_count=Count("products", filter=Q(products__status=ProductStatus.LIVE)))
        .filter(live_count__gt=0)
        .order_by("-live_count", "id")[:limit]
    )


def top_categories() -> list[Category]:
    return list(Category.objects.filter(parent__isnull=True).order_by("position", "id"))


def user_has_shop(user: User) -> bool:
    return Shop.objects.filter(owner=user).exists()


def seller_shop(user: User) -> Shop | None:
    """The seller's current shop application: the newest one (after a rejection, the retry)."""
    return Shop.objects.filter(owner=user).select_related("designer").order_by("-id").first()


def seller_products(shop: Shop) -> list[Product]:
    return with_covers(
        Product.objects.filter(shop=shop)
        .select_related("category")
        .annotate(sku_count=Count("skus"))
        .order_by("-updated_at", "-id")
    )


def designer_choices() -> list[Designer]:
    return list(Designer.objects.order_by("name_en", "id"))


def designer_open_shops(designer: Designer) -> list[Shop]:
    return list(designer.shops.filter(status=ShopStatus.APPROVED).order_by("id"))
