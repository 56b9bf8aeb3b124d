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


# --- events -------------------------------------------------------------------------


def make_venue(**fields):
    from designmall.events.models import Venue

    n = next(_seq)
    fields.setdefault("name_zh", f"场馆{n}")
    fields.setdefault("name_en", f"Venue {n}")
    fields.setdefault("address_zh", f"上海市徐汇区龙腾大道 {n} 号")
    return Venue.objects.create(**fields)


def make_hall(*, venue=None, capacity: int = 500, **fields):
    from designmall.events.models import Hall

    n = next(_seq)
    fields.setdefault("name_zh", f"{n} 号厅")
    fields.setdefault("name_en", f"Hall {n}")
    return Hall.objects.create(venue=venue or make_venue(), capacity=capacity, **fields)


def make_event(*, kind: str = "lecture", status: str = "published", speakers=(), **fields):
    from designmall.events.models import Event

    n = next(_seq)
    now = clock.now()
    fields.setdefault("title_zh", f"活动{n}")
    fields.setdefault("title_en", f"Event {n}")
    event = Event.objects.create(
        kind=kind,
        status=status,
        created_at=now,
        published_at=now if status == "published" else None,
        **fields,
    )
    if speakers:
        event.speakers.set(speakers)
    return event


def make_session(
    *,
    event=None,
    hall=None,
    capacity: int = 10,
    price_fen: int = 0,
    per_user_limit: int = 4,
    starts_in=None,
    **fields,
):
    """A session starting ``starts_in`` (default 7 days) from the clock's now, lasting two
    hours, bookable from a day ago until it starts, free cancellation until a day before."""
    from datetime import timedelta

    from designmall.events.models import Session

    now = clock.now()
    starts_at = fields.pop("starts_at", None) or now + (starts_in or timedelta(days=7))
    fields.setdefault("ends_at", starts_at + timedelta(hours=2))
    fields.setdefault("reservation_opens_at", now - timedelta(days=1))
    fields.setdefault("reservation_closes_at", starts_at)
    fields.setdefault("cancel_until", starts_at - timedelta(days=1))
    return Session.objects.create(
        event=event or make_event(),
        hall=hall or make_hall(capacity=max(capacity, 500)),
        starts_at=starts_at,
        capacity=capacity,
        price_fen=price_fen,
        per_user_limit=per_user_limit,
        **fields,
    )


# --- auctions -------------------------------------------------------------------------


def make_sale(*, starts_in=None, ends_in=None, published: bool = True, **fields):
    """A published auction sale running from ``starts_in`` (default an hour ago) to
    ``ends_in`` (default an hour from the clock's now)."""
    from datetime import timedelta

    from designmall.auctions.models import AuctionSale

    n = next(_seq)
    now = clock.now()
    fields.setdefault("title_zh", f"拍卖专场{n}")
    fields.setdefault("title_en", f"Sale {n}")
    return AuctionSale.objects.create(
        starts_at=now + (starts_in if starts_in is not None else timedelta(hours=-1)),
        ends_at=now + (ends_in if ends_in is not None else timedelta(hours=1)),
        is_published=published,
        created_at=now,
        **fields,
    )


def make_lot(
    *,
    sale=None,
    shop=None,
    designer=None,
    start_price_fen: int = 100_000,
    starts_in=None,
    ends_in=None,
    **fields,
):
    """A lot of ``sale`` (default: a new published one), open from ``starts_in`` (default an
    hour ago) to ``ends_in`` (default an hour from now), starting at ¥1,000, through the
    service (so its rules are checked)."""
    from datetime import timedelta

    from designmall.auctions.models import Lot
    from designmall.auctions.services import lot_create

    now = clock.now()
    sale = sale or make_sale()
    number = fields.pop("number", None) or (Lot.objects.filter(sale=sale).count() + 1)
    fields.setdefault("title_zh", f"拍品{number}")
    return lot_create(
        by=None,
        sale=sale,
        number=number,
        designer=designer or make_designer(is_renowned=True),
        shop=shop or make_shop(),
        start_price_fen=start_price_fen,
        starts_at=now + (starts_in if starts_in is not None else timedelta(hours=-1)),
        scheduled_end_at=now + (ends_in if ends_in is not None else timedelta(hours=1)),
        **fields,
    )
