"""Writing the planned design week to the database, and wiping it again.

Seeding is bulk work, not a sequence of catalog actions: rows are built in
Python from the plan and inserted with ``bulk_create`` in batches, in one
transaction, with no query per row. Each SKU gets its stock level (all its
stock received and available). The denormalised product summaries
(``price_min_fen``, ``in_stock``) are set from the planned SKUs exactly as the
catalog and inventory services compute them, and the search index is rebuilt
once at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.accounts.services import roles_sync_groups
from designmall.catalog import search
from designmall.catalog.models import (
    Category,
    Designer,
    Product,
    ProductImage,
    Shop,
    Sku,
)
from designmall.core import clock
from designmall.core.errors import Conflict
from designmall.demo import data
from designmall.demo.accounts import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, OPERATOR_EMAIL
from designmall.demo.addresses import addresses_write
from designmall.demo.auctions import auctions_wipe, auctions_write
from designmall.demo.coupons import coupons_wipe, coupons_write
from designmall.demo.deals import deals_wipe, deals_write
from designmall.demo.generator import (
    DEFAULT_PRODUCTS,
    DEFAULT_SEED,
    PENDING,
    Plan,
    ProductPlan,
    build_plan,
    iter_products,
)
from designmall.demo.images import ensure_portraits, ensure_product_images, ensure_sketches
from designmall.demo.o2o import o2o_wipe, o2o_write
from designmall.demo.o2o_dash import o2o_dash_wipe, o2o_dash_write
from designmall.demo.o2o_passport import o2o_passport_wipe, o2o_passport_write
from designmall.demo.o2o_pickup import o2o_pickup_wipe, o2o_pickup_write
from designmall.demo.o2o_votes import o2o_votes_wipe, o2o_votes_write
from designmall.demo.options import attributes_en as options_en
from designmall.demo.orders import orders_wipe, orders_write
from designmall.demo.presale import presale_wipe, presale_write
from designmall.demo.programme import programme_wipe, programme_write
from designmall.events.models import Event, Venue
from designmall.events.week import WeekDates, week_dates, week_place
from designmall.inventory.models import StockAdjustment, StockLevel

BATCH_SIZE = 2000


@dataclass
class SeedReport:
    counts: dict[str, int] = field(default_factory=dict)  # rows written per kind
    seconds: dict[str, float] = field(default_factory=dict)  # per phase, and "total"
    pictures_drawn: int = 0
    week: WeekDates | None = None  # the design week the programme was written for

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _demo_users():
    return User.objects.filter(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}")


def catalog_exists() -> bool:
    """Whether there is a catalog (or demo accounts) a seed would collide with."""
    return (
        Product.objects.exists()
        or Shop.objects.exists()
        or Category.objects.exists()
        or Designer.objects.exists()
        or Venue.objects.exists()
        or Event.objects.exists()
        or _demo_users().exists()
    )


@transaction.atomic
def catalog_wipe() -> None:
    """Delete the whole catalog, the design week's programme with its bookings, and the
    demo accounts; the image files stay for reuse.

    Raises ``Conflict`` when other records (orders, say) still point at catalog rows.
    """
    try:
        o2o_passport_wipe()
        deals_wipe()
        coupons_wipe()
        o2o_dash_wipe()
        o2o_votes_wipe()
        o2o_pickup_wipe()
        o2o_wipe()
        presale_wipe()
        orders_wipe()  # the demo accounts' orders and their money, only theirs
        auctions_wipe()
        programme_wipe()
        ProductImage.objects.all().delete()
        StockAdjustment.objects.all().delete()
        StockLevel.objects.all().delete()
        Sku.objects.all().delete()
        Product.objects.all().delete()
        Shop.objects.all().delete()
        # Children before parents: a category protects its children.
        while Category.objects.exists():
            Category.objects.filter(children__isnull=True).delete()
        Designer.objects.all().delete()
        _demo_users().delete()
    except (ProtectedError, RestrictedError) as exc:
        raise Conflict(
            _("还有其他记录引用商品目录，不能清空。"),
            code="catalog_in_use",
            details={"protected": sorted({o._meta.label for o in exc.protected_objects})},
        ) from None
    search.products_reindex_all()


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _ago(now: datetime, minutes: int) -> datetime:
    return now - timedelta(minutes=minutes)


# --- writers ------------------------------------------------------------------------


def _write_categories() -> dict[str, Category]:
    tops = Category.objects.bulk_create(
        Category(slug=top.slug, name_zh=top.name[0], name_en=top.name[1], position=n)
        for n, top in enumerate(data.CATEGORIES, start=1)
    )
    children = Category.objects.bulk_create(
        Category(
            parent=parent,
            slug=leaf.slug,
            name_zh=leaf.name[0],
            name_en=leaf.name[1],
            position=n,
        )
        for parent, top in zip(tops, data.CATEGORIES, strict=True)
        for n, leaf in enumerate(top.children, start=1)
    )
    return {c.slug: c for c in [*tops, *children]}


def _write_users(plan: Plan, now: datetime) -> dict[str, User]:
    # One hash for everyone: hashing is deliberately slow, and it is one password.
    password = make_password(DEMO_PASSWORD)
    users = User.objects.bulk_create(
        [
            User(
                email=u.email,
                display_name=u.display_name,
                password=password,
                is_staff=u.is_staff,
                is_superuser=u.is_superuser,
                date_joined=_ago(now, 400 * 24 * 60 - n),
            )
            for n, u in enumerate(plan.users)
        ],
        batch_size=BATCH_SIZE,
    )
    groups = {g.name: g.pk for g in Group.objects.all()}
    User.groups.through.objects.bulk_create(
        [
            User.groups.through(user_id=user.pk, group_id=groups[role])
            for user, u in zip(users, plan.users, strict=True)
            for role in u.roles
        ],
        batch_size=BATCH_SIZE,
    )
    return {u.email: u for u in users}


def _write_designers(plan: Plan, now: datetime) -> list[Designer]:
    return Designer.objects.bulk_create(
        [
            Designer(
                name_zh=d.name_zh,
                name_en=d.name_en,
                bio_zh=d.bio_zh,
                bio_en=d.bio_en,
                country=d.country,
                is_renowned=d.is_renowned,
                portrait=d.portrait,
                created_at=_ago(now, d.age_minutes),
            )
            for d in plan.designers
        ],
        batch_size=BATCH_SIZE,
    )


def _write_shops(
    plan: Plan, users: dict[str, User], designers: list[Designer], now: datetime
) -> list[Shop]:
    operator = users[OPERATOR_EMAIL]
    shops = []
    for s in plan.shops:
        created = _ago(now, s.age_minutes)
        reviewed = s.status != PENDING
        shops.append(
            Shop(
                owner=users[s.owner_email],
                designer=designers[s.designer] if s.designer is not None else None,
                name_zh=s.name_zh,
                name_en=s.name_en,
                description_zh=s.description_zh,
                description_en=s.description_en,
                country=s.country,
                status=s.status,
                reject_reason=s.reason,
                commission_bp=s.commission_bp,
                created_at=created,
                reviewed_at=min(created + timedelta(days=2), now) if reviewed else None,
                reviewed_by=operator if reviewed else None,
            )
        )
    return Shop.objects.bulk_create(shops, batch_size=BATCH_SIZE)


def _write_products(
    batch: list[ProductPlan],
    *,
    shops: list[Shop],
    designers: list[Designer],
    categories: dict[str, Category],
    now: datetime,
) -> tuple[int, int]:
    products = []
    for p in batch:
        created = _ago(now, p.age_minutes)
        published = (
            created + timedelta(minutes=p.published_after_minutes)
            if p.published_after_minutes is not None
            else None
        )
        products.append(
            Product(
                shop_id=shops[p.shop].pk,
                designer_id=designers[p.designer].pk if p.designer is not None else None,
                category_id=categories[p.category].pk,
                title_zh=p.title_zh,
                title_en=p.title_en,
                description_zh=p.description_zh,
                description_en=p.description_en,
                origin=p.origin,
                country=p.country,
                status=p.status,
                moderation_note=p.moderation_note,
                price_min_fen=p.price_min_fen,
                in_stock=p.in_stock,
                created_at=created,
                updated_at=published or created,
                published_at=published,
            )
        )
    products = Product.objects.bulk_create(products, batch_size=BATCH_SIZE)
    skus = [
        Sku(
            product_id=product.pk,
            code=s.code,
            attributes=s.attributes,
            attributes_en=options_en(s.attributes),
            price_fen=s.price_fen,
            is_active=s.is_active,
        )
        for product, p in zip(products, batch, strict=True)
        for s in p.skus
    ]
    stocks = [s.stock for p in batch for s in p.skus]
    images = [
        ProductImage(product_id=product.pk, image=name, alt=p.title_zh, position=n)
        for product, p in zip(products, batch, strict=True)
        for n, name in enumerate(p.images, start=1)
    ]
    Sku.objects.bulk_create(skus, batch_size=BATCH_SIZE)
    _write_stock_levels([(sku.pk, stock) for sku, stock in zip(skus, stocks, strict=True)])
    ProductImage.objects.bulk_create(images, batch_size=BATCH_SIZE)
    return len(skus), len(images)


def _write_stock_levels(rows: list[tuple[int, int]]) -> None:
    """Each SKU's stock as received and available. Plain rows: for these narrow ones
    ``bulk_create`` spends over ten times longer building model instances."""
    columns = "sku_id, received, available, held, sold, written_off"
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {StockLevel._meta.db_table} ({columns}) VALUES (%s, %s, %s, 0, 0, 0)",
            [(sku_id, stock, stock) for sku_id, stock in rows],
        )


def _refuse_existing_catalog() -> None:
    if catalog_exists():
        raise Conflict(
            _("已有商品目录；如需重建，请使用 seed --reset 先清空。"), code="catalog_exists"
        )


def demo_seed(
    *,
    seed: int = DEFAULT_SEED,
    products: int = DEFAULT_PRODUCTS,
    reset: bool = False,
    on_progress: Callable[[int], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> SeedReport:
    """Build the demo design week: accounts, designers, shops, categories, products, the
    week's programme (venues, events, sessions, some reservations), the auction sale and
    the pre-sales (one in every phase, ``demo.presale``),
    all dated around the clock's now: the week's dates are stored (``events.week``) with
    today as its third day.

    Refuses (``Conflict``) when a catalog exists, unless ``reset`` wipes it
    first. The same ``seed`` gives the same data (public ids and password
    salts aside). ``on_progress`` is called with the number of products
    written after every batch, ``on_stage`` with the name of each phase.
    """
    stage = on_stage or (lambda _name: None)
    if not reset:
        _refuse_existing_catalog()  # before the slow part; checked again when writing
    report = SeedReport()
    started = time.perf_counter()
    plan = build_plan(seed=seed, products=products)
    stage("pictures")
    report.pictures_drawn = (
        ensure_product_images()
        + ensure_portraits((d.initials, d.portrait_colour) for d in plan.designers)
        + ensure_sketches()
    )
    report.seconds["pictures"] = time.perf_counter() - started
    now = clock.now()
    with transaction.atomic():
        if not reset:
            _refuse_existing_catalog()
        elif catalog_exists():
            stage("wipe")
            mark = time.perf_counter()
            catalog_wipe()
            report.seconds["wipe"] = time.perf_counter() - mark
        stage("rows")
        mark = time.perf_counter()
        roles_sync_groups()
        categories = _write_categories()
        users = _write_users(plan, now)
        designers = _write_designers(plan, now)
        shops = _write_shops(plan, users, designers, now)
        counts = report.counts
        counts.update(
            categories=len(categories), users=len(users), designers=len(designers), shops=len(shops)
        )
        counts.update(addresses_write(users))
        counts.update(products=0, skus=0, images=0)
        for batch in _batched(iter_products(plan), BATCH_SIZE):
            skus, images = _write_products(
                batch, shops=shops, designers=designers, categories=categories, now=now
            )
            counts["products"] += len(batch)
            counts["skus"] += skus
            counts["images"] += images
            if on_progress:
                on_progress(len(batch))
        stage("programme")
        programme_mark = time.perf_counter()
        week_place(now=now)  # around today; DESIGN_WEEK_START, when set, still wins
        report.week = week_dates()
        counts.update(
            programme_write(plan=plan, designers=designers, users=users, now=now, week=report.week)
        )
        counts.update(auctions_write(now=now, seed=plan.seed))
        counts.update(o2o_write(now=now, seed=plan.seed, week=report.week))
        counts.update(o2o_votes_write(now=now, seed=plan.seed))
        counts.update(presale_write(now=now))
        stage("orders")
        counts.update(orders_write(now=now))
        counts.update(coupons_write(now=now))
        counts.update(deals_write(now=now))
        counts.update(o2o_pickup_write(now=now))
        # After every other demo order: it gives each its attribution.
        counts.update(o2o_dash_write(now=now, seed=plan.seed, week=report.week))
        counts.update(o2o_passport_write(now=now))
        report.seconds["programme"] = time.perf_counter() - programme_mark
        report.seconds["rows"] = time.perf_counter() - mark
        stage("search index")
        mark = time.perf_counter()
        search.products_reindex_all()
        report.seconds["search index"] = time.perf_counter() - mark
    report.seconds["total"] = time.perf_counter() - started
    return report


def demo_seed_if_absent(**options) -> SeedReport | None:
    """Seed unless a catalog exists; ``None`` when there was one already."""
    if catalog_exists():
        return None
    return demo_seed(**options)


def database_tidy() -> None:
    """Refresh planner statistics (and, on PostgreSQL, the visibility map) after a bulk load.

    Runs outside any transaction: PostgreSQL's VACUUM cannot run inside one. Without it a
    freshly seeded catalog gets no index-only scans and search p99 doubles.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Inside a transaction (tests) only the statistics can be refreshed.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        else:
            cursor.execute("PRAGMA optimize")
