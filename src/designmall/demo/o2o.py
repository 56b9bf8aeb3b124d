"""The show in the demo: booths for dozens of shops in the design week's venues, each with
a few exhibits (live products of the shop, its auction lots, a piece shown only), so a
visitor can walk the show on a phone and sellers and operators can print the sheets.

Written as bulk rows (the demo is built in one transaction, dated around the clock's
now); every row is one the services would accept: approved shops, numbers once per venue,
live products and lots of the booth's own shop, a title for pieces shown only. The demo
seller's shop always has a booth in the first venue.
"""

from __future__ import annotations

import random
from datetime import datetime, time

from designmall.accounts.models import User
from designmall.auctions.models import Lot
from designmall.catalog.models import Product, ProductStatus, Shop, ShopStatus
from designmall.demo.accounts import OPERATOR_EMAIL, SELLER_EMAIL
from designmall.events.models import Hall, Venue
from designmall.events.week import WeekDates
from designmall.o2o.models import Booth, Exhibit, ExhibitKind

BOOTH_SHOPS = 48
EXHIBITS_PER_BOOTH = (2, 5)
STORIES = (
    (
        "从设计手稿到样品，这件作品在工作室里改了十一版。",
        "From sketch to sample, this piece went through eleven versions in the studio.",
    ),
    (
        "材料来自本地的老作坊，每一件都带着手工的痕迹。",
        "The material comes from an old local workshop; every piece carries the hand's marks.",
    ),
    (
        "为设计周特别制作，现场可以上手体验。",
        "Made for the design week: try it in your hands at the booth.",
    ),
    (
        "灵感来自城市清晨的光线与阴影。",
        "Inspired by the city's light and shadows at dawn.",
    ),
)
SHOWN = (
    ("工作室原型 · 未量产", "Studio prototype · not in production"),
    ("设计手稿与模型", "Sketches and models"),
    ("材料实验样本", "Material study samples"),
)


def o2o_wipe() -> None:
    """Delete the show's booths and exhibits (before the catalog, programme and lots)."""
    Exhibit.objects.all().delete()
    Booth.objects.all().delete()


def o2o_write(*, now: datetime, seed: int, week: WeekDates) -> dict[str, int]:
    """Write booths and exhibits for the demo ``week``; returns the rows written."""
    rng = random.Random(f"{seed}:o2o")
    venues = list(Venue.objects.order_by("position", "id"))
    if not venues:
        return {"booths": 0, "exhibits": 0}
    halls: dict[int, list[Hall]] = {}
    for hall in Hall.objects.order_by("id"):
        halls.setdefault(hall.venue_id, []).append(hall)
    approved = list(
        Shop.objects.filter(status=ShopStatus.APPROVED).select_related("owner").order_by("id")
    )
    seller_shop = next((s for s in approved if s.owner.email == SELLER_EMAIL), None)
    lot_shops = set(Lot.objects.values_list("shop_id", flat=True))
    chosen = [s for s in approved if s.pk in lot_shops] + rng.sample(
        [s for s in approved if s.pk not in lot_shops],
        k=max(0, min(BOOTH_SHOPS, len(approved)) - len(lot_shops)),
    )
    chosen = chosen[:BOOTH_SHOPS]
    if seller_shop is not None:
        chosen = [seller_shop] + [s for s in chosen if s.pk != seller_shop.pk]
    operator = User.objects.filter(email=OPERATOR_EMAIL).first()
    booths = []
    counters: dict[int, int] = {}
    for n, shop in enumerate(chosen):
        venue = venues[0] if n == 0 else venues[n % len(venues)]
        row = counters.get(venue.pk, 0) + 1
        counters[venue.pk] = row
        venue_halls = halls.get(venue.pk) or [None]
        hall = venue_halls[row % len(venue_halls)]
        booths.append(
            Booth(
                shop=shop,
                venue=venue,
                hall=hall,
                number=f"{'ABCDEF'[(row - 1) // 12]}{(row - 1) % 12 + 1:02d}",
                opens_on=week.starts_on,
                closes_on=week.ends_on,
                opens_at=time(10),
                closes_at=time(20) if n % 3 else time(18),
                assigned_by=operator,
                created_at=now,
                updated_at=now,
            )
        )
    booths = Booth.objects.bulk_create(booths)
    products: dict[int, list[Product]] = {}
    for product in Product.objects.filter(shop__in=chosen, status=ProductStatus.LIVE).order_by(
        "shop_id", "id"
    ):
        products.setdefault(product.shop_id, []).append(product)
    lots: dict[int, list[Lot]] = {}
    for lot in Lot.objects.filter(shop__in=chosen).order_by("shop_id", "id"):
        lots.setdefault(lot.shop_id, []).append(lot)
    exhibits = []
    for booth in booths:
        own = products.get(booth.shop_id, [])
        count = min(len(own), rng.randint(*EXHIBITS_PER_BOOTH))
        picks = rng.sample(own, k=count)
        for position, product in enumerate(picks):
            story = STORIES[rng.randrange(len(STORIES))]
            exhibits.append(
                Exhibit(
                    booth=booth,
                    kind=ExhibitKind.PRODUCT,
                    product=product,
                    story_zh=story[0],
                    story_en=story[1],
                    position=position,
                    created_at=now,
                    updated_at=now,
                )
            )
        for lot in lots.get(booth.shop_id, [])[:2]:
            exhibits.append(
                Exhibit(
                    booth=booth,
                    kind=ExhibitKind.LOT,
                    lot=lot,
                    story_zh="本届夜场拍卖的拍品，现场展出原作。",
                    story_en="A lot of this year's evening sale: the original is on show here.",
                    position=len(picks),
                    created_at=now,
                    updated_at=now,
                )
            )
        if rng.random() < 0.4:
            title = SHOWN[rng.randrange(len(SHOWN))]
            exhibits.append(
                Exhibit(
                    booth=booth,
                    kind=ExhibitKind.SHOWN,
                    title_zh=title[0],
                    title_en=title[1],
                    story_zh="仅在现场展示，不出售。",
                    story_en="On show only, not for sale.",
                    position=99,
                    created_at=now,
                    updated_at=now,
                )
            )
    Exhibit.objects.bulk_create(exhibits, batch_size=500)
    return {"booths": len(booths), "exhibits": len(exhibits)}
