"""Catalog reads the API needs that catalog/selectors.py does not have yet.

They belong in ``designmall.catalog.selectors``; they live here until the
catalog owner moves them (same names, same contracts).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.catalog.models import Category, Designer, Product, Shop
from designmall.core.errors import NotFound


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
