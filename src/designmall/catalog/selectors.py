"""Catalog reads for pages and the API."""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

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
from designmall.core import leansql
from designmall.core.errors import NotFound


def products_on_sale() -> QuerySet[Product]:
    """Live products of approved shops: the only ones a buyer sees."""
    return Product.objects.filter(status=ProductStatus.LIVE, shop__status=ShopStatus.APPROVED)


def product_on_sale(*, public_id: str) -> Product:
    product = (
        products_on_sale()
        .select_related("shop", "designer", "category", "category__parent")
        .prefetch_related(
            Prefetch("skus", queryset=Sku.objects.filter(is_active=True)),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        )
        .filter(public_id=public_id)
        .first()
    )
    if product is None:
        raise NotFound(_("没有找到这个商品。"), code="product_not_found")
    return product


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _page_columns() -> tuple[leansql.Columns, ...]:
    """Product, shop, designer, category and its parent, in the order selected."""
    columns = leansql.columns
    return (
        columns(Product, "p"),
        columns(Shop, "sh"),
        columns(Designer, "d"),
        columns(Category, "c"),
        columns(Category, "cp"),
    )


@functools.cache
def _product_page_sql() -> str:
    return (
        f"SELECT {', '.join(group.sql for group in _page_columns())}"
        f" FROM {_table(Product)} p"
        f" JOIN {_table(Shop)} sh ON sh.id = p.shop_id"
        f" JOIN {_table(Category)} c ON c.id = p.category_id"
        f" LEFT JOIN {_table(Designer)} d ON d.id = p.designer_id"
        f" LEFT JOIN {_table(Category)} cp ON cp.id = c.parent_id"
        " WHERE p.public_id = %s AND p.status = %s AND sh.status = %s"
    )


@functools.cache
def _skus_sql() -> str:
    return (
        f"SELECT {leansql.columns(Sku, 's').sql} FROM {_table(Sku)} s"
        " WHERE s.product_id = %s AND s.is_active = %s ORDER BY s.price_fen, s.id"
    )


@functools.cache
def _images_sql() -> str:
    return (
        f"SELECT {leansql.columns(ProductImage, 'i').sql} FROM {_table(ProductImage)} i"
        " WHERE i.product_id = %s ORDER BY i.position, i.id"
    )


def product_page_catalog(*, public_id: str) -> tuple[Product, list[Sku], list[ProductImage]]:
    """A product on sale with its shop, designer, category (and its parent) set, its active
    SKUs cheapest first and its images in order: what its page shows, in three statements
    built once (``core.leansql``; this is the storefront's most visited read).

    Raises NotFound unless the product is on sale.
    """
    rows = leansql.fetch_all(
        _product_page_sql(), [public_id, ProductStatus.LIVE, ShopStatus.APPROVED]
    )
    if not rows:
        raise NotFound(_("没有找到这个商品。"), code="product_not_found")
    product, shop, designer, category, parent = leansql.instances(rows[0], *_page_columns())
    product.shop, product.designer, product.category = shop, designer, category
    category.parent = parent
    sku_columns = leansql.columns(Sku, "s")
    skus = [sku_columns.instance(r) for r in leansql.fetch_all(_skus_sql(), [product.id, True])]
    image_columns = leansql.columns(ProductImage, "i")
    images = [image_columns.instance(r) for r in leansql.fetch_all(_images_sql(), [product.id])]
    return product, skus, images


def _shop_product_columns() -> tuple[leansql.Columns, ...]:
    """A product, its designer and its cover image, in the order selected."""
    columns = leansql.columns
    return columns(Product, "p"), columns(Designer, "d"), columns(ProductImage, "i")


@functools.cache
def _shop_products_sql(count: int) -> str:
    image = _table(ProductImage)
    return (
        f"SELECT {', '.join(group.sql for group in _shop_product_columns())}"
        f" FROM {_table(Product)} p"
        f" LEFT JOIN {_table(Designer)} d ON d.id = p.designer_id"
        f" LEFT JOIN {image} i ON i.id = (SELECT first.id FROM {image} first"
        "  WHERE first.product_id = p.id ORDER BY first.position, first.id LIMIT 1)"
        f" WHERE p.id IN ({leansql.placeholders(count)}) AND p.status = %s"
    )


def shop_products_with_covers(shop: Shop, product_ids: list[int]) -> list[Product]:
    """These products of ``shop`` that are live, in the order of ``product_ids``, each with
    its designer and ``cover`` (first image, or None) set, in one statement. The shop is
    taken to be open (its caller found it so)."""
    if not product_ids:
        return []
    rows = leansql.fetch_all(
        _shop_products_sql(len(product_ids)), [*product_ids, ProductStatus.LIVE]
    )
    by_id = {}
    for row in rows:
        product, designer, cover = leansql.instances(row, *_shop_product_columns())
        if product.shop_id != shop.id:
            continue
        product.shop, product.designer, product.cover = shop, designer, cover
        by_id[product.id] = product
    return [by_id[i] for i in product_ids if i in by_id]


def designer_by_public_id(*, public_id: str) -> Designer:
    designer = Designer.objects.filter(public_id=public_id).first()
    if designer is None:
        raise NotFound(_("没有找到这位设计师。"), code="designer_not_found")
    return designer


def shop_open_by_public_id(*, public_id: str) -> Shop:
    shop = (
        Shop.objects.select_related("designer")
        .filter(public_id=public_id, status=ShopStatus.APPROVED)
        .first()
    )
    if shop is None:
        raise NotFound(_("没有找到这个店铺。"), code="shop_not_found")
    return shop


def category_tree() -> list[Category]:
    """Top-level categories with their children prefetched (one query each level)."""
    return list(
        Category.objects.filter(parent__isnull=True).prefetch_related(
            Prefetch("children", queryset=Category.objects.order_by("position", "id"))
        )
    )


def category_with_descendant_ids(*, slug: str) -> tuple[Category, list[int]]:
    """A category and the ids of it and everything below it (the tree is small)."""
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise NotFound(_("没有这个分类。"), code="category_not_found")
    parents: dict[int | None, list[int]] = {}
    for cid, parent_id in Category.objects.values_list("id", "parent_id"):
        parents.setdefault(parent_id, []).append(cid)
    ids, frontier = [], [category.id]
    while frontier:
        current = frontier.pop()
        ids.append(current)
        frontier.extend(parents.get(current, []))
    return category, ids


def first_images(products: list[Product]) -> dict[int, ProductImage]:
    """The cover image of each product, in one query."""
    covers: dict[int, ProductImage] = {}
    images = ProductImage.objects.filter(product_id__in=[p.id for p in products]).order_by(
        "product_id", "position", "id"
    )
    for image in images:
        covers.setdefault(image.product_id, image)
    return covers


def category_forest() -> list[Category]:
    """All categories as trees, from one query: each node's ``subcategories`` is a list."""
    nodes = list(Category.objects.order_by("position", "id"))
    by_id = {node.id: node for node in nodes}
    roots: list[Category] = []
    for node in nodes:
        node.subcategories = []
    for node in nodes:
        parent = by_id.get(node.parent_id)
        (parent.subcategories if parent else roots).append(node)
    return roots


def designers_listed(*, renowned: bool | None = None) -> QuerySet[Designer]:
    designers = Designer.objects.order_by("name_en", "id")
    if renowned is not None:
        designers = designers.filter(is_renowned=renowned)
    return designers


def products_of_seller(*, user: User, status: str | None = None) -> QuerySet[Product]:
    """The products of the user's shops in any status, most recently changed first."""
    products = Product.objects.filter(shop__owner=user).select_related("category", "designer")
    if status:
        products = products.filter(status=status)
    return products.order_by("-updated_at", "-id")


def shops_for_review(*, status: str | None = None) -> QuerySet[Shop]:
    """Shops in a status (all if none), oldest application first: the review queue."""
    shops = Shop.objects.select_related("owner", "designer")
    if status:
        shops = shops.filter(status=status)
    return shops.order_by("created_at", "id")


def products_for_review(*, status: str | None = None) -> QuerySet[Product]:
    """Products in a status (all if none), longest waiting first: the moderation queue."""
    products = Product.objects.select_related("shop", "category", "designer")
    if status:
        products = products.filter(status=status)
    return products.order_by("updated_at", "id")


def shop_any_status(*, public_id: str) -> Shop:
    """A shop whatever its status (for operators)."""
    shop = Shop.objects.select_related("owner", "designer").filter(public_id=public_id).first()
    if shop is None:
        raise NotFound(_("没有找到这个店铺。"), code="shop_not_found")
    return shop


def product_any_status(*, public_id: str) -> Product:
    """A product whatever its status (for operators)."""
    product = (
        Product.objects.select_related("shop", "category", "designer")
        .filter(public_id=public_id)
        .first()
    )
    if product is None:
        raise NotFound(_("没有找到这个商品。"), code="product_not_found")
    return product
