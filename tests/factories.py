"""Test data builders. They use the ORM directly for speed, then keep the
product summaries and search index in step exactly as the services do."""

from __future__ import annotations

import itertools

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.accounts.services import user_grant_role
from designmall.catalog import search
from designmall.catalog.models import (
    Category,
    Designer,
    Product,
    ProductStatus,
    Shop,
    ShopStatus,
    Sku,
)
from designmall.core import clock
from designmall.inventory.models import StockLevel

_seq = itertools.count(1)
PASSWORD = "design-week-2026"


def make_user(*, role: Role | None = Role.BUYER, email: str | None = None, **extra) -> User:
    n = next(_seq)
    user = User.objects.create_user(
        email=email or f"user{n}@example.com", password=PASSWORD, display_name=f"User {n}", **extra
    )
    if role:
        user_grant_role(user=user, role=role)
    return user


def make_operator() -> User:
    return make_user(role=Role.OPERATOR)


def make_designer(**fields) -> Designer:
    n = next(_seq)
    fields.setdefault("name_zh", f"设计师{n}")
    fields.setdefault("name_en", f"Designer {n}")
    return Designer.objects.create(created_at=clock.now(), **fields)


def make_shop(*, owner: User | None = None, status: str = ShopStatus.APPROVED, **fields) -> Shop:
    n = next(_seq)
    owner = owner or make_user(role=Role.SELLER)
    fields.setdefault("name_zh", f"店铺{n}")
    fields.setdefault("name_en", f"Shop {n}")
    return Shop.objects.create(owner=owner, status=status, created_at=clock.now(), **fields)


def make_category(*, slug: str | None = None, parent: Category | None = None, **fields) -> Category:
    n = next(_seq)
    fields.setdefault("name_zh", f"分类{n}")
    fields.setdefault("name_en", f"Category {n}")
    return Category.objects.create(slug=slug or f"cat-{n}", parent=parent, **fields)


def make_product(
    *,
    shop: Shop | None = None,
    category: Category | None = None,
    status: str = ProductStatus.LIVE,
    title_zh: str | None = None,
    title_en: str = "",
    skus: list[tuple[int, int]] = ((12_900, 5),),
    **fields,
) -> Product:
    """A product with SKUs given as (price_fen, stock) pairs: stock received and available."""
    n = next(_seq)
    now = clock.now()
    product = Product.objects.create(
        shop=shop or make_shop(),
        category=category or make_category(),
        title_zh=title_zh or f"商品{n}",
        title_en=title_en,
        status=status,
        created_at=now,
        updated_at=now,
        published_at=now if status == ProductStatus.LIVE else None,
        **fields,
    )
    for i, (price, stock) in enumerate(skus):
        sku = Sku.objects.create(product=product, code=f"SKU-{n}-{i}", price_fen=price)
        StockLevel.objects.create(sku=sku, received=stock, available=stock)
    if skus:
        product.price_min_fen = min(p for p, _ in skus)
        product.in_stock = any(s > 0 for _, s in skus)
        product.save(update_fields=["price_min_fen", "in_stock"])
    search.products_reindex([product.id])
    return product
