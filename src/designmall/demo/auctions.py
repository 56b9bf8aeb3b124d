"""The design week's auction in the demo: "设计周夜场拍卖 / Design Week Evening Sale".

Two dozen signed originals by the week's renowned designers, timed around the moment of
seeding (``core.clock.now()``): a few closed a little while ago with their results, most
live and closing in turn over the next hours (some soon), a few opening tomorrow. Some
ask for a bidder deposit, some have a hidden reserve or a buy-now price.

The bidding history is written as bulk rows, not through ``bid_place`` (it lies in the
past), but every state is the pure engine's: each lot's bids are applied with
``engine.apply_bid`` at their own times and the snapshot and bid log written from the
result, so each lot equals a replay of its bids as the live ones do. The closed lots are
then settled by ``settlement.lot_finalize``.

Eight demo bidder accounts (``auctions.simulation.BIDDER_EMAIL``) hold the history; with
``DEMO_SIMULATED_BIDDERS`` on (``designmall demo``) the worker has them bid on live lots
now and then. ``auctions_ensure_live`` lists a fresh sale when the demo is started again
after every lot has closed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Min, ProtectedError, Q

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.auctions import engine
from designmall.auctions.models import (
    AuctionSale,
    Bid,
    BidSource,
    BidStep,
    Deposit,
    DepositStatus,
    Lot,
    LotCheckout,
    LotImage,
    LotStatus,
    SecondChanceOffer,
    Watch,
)
from designmall.auctions.services import lot_create
from designmall.auctions.settlement import lot_finalize
from designmall.auctions.simulation import BIDDER_EMAIL, BIDDERS
from designmall.auctions.snapshot import lot_rules, snapshot_set, steps_rows
from designmall.catalog.models import Designer, Product, ProductStatus, Shop, ShopStatus
from designmall.demo.accounts import DEMO_PASSWORD, SELLER_EMAIL
from designmall.demo.images import sketch_name

SALE_TITLE = ("设计周夜场拍卖", "Design Week Evening Sale")
ENCORE_TITLE = ("设计周夜场拍卖 · 加场", "Design Week Evening Sale · Encore")
LOTS = 24
CLOSED, LIVE, UPCOMING = "closed", "live", "upcoming"
BIDDER_NAMES = (
    ("藏家 · 松", "Collector Pine"),
    ("藏家 · 竹", "Collector Bamboo"),
    ("藏家 · 梅", "Collector Plum"),
    ("藏家 · 兰", "Collector Orchid"),
    ("藏家 · 菊", "Collector Aster"),
    ("藏家 · 石", "Collector Stone"),
    ("藏家 · 云", "Collector Cloud"),
    ("藏家 · 川", "Collector River"),
)


@dataclass
class Work:
    designer: Designer
    shop: Shop
    product: Product | None


def _bidders(now: datetime) -> list[User]:
    """The demo bidder accounts (made once; buyers, with the demo password)."""
    emails = [BIDDER_EMAIL.format(n=n) for n in range(1, BIDDERS + 1)]
    existing = {u.email: u for u in User.objects.filter(email__in=emails)}
    missing = [email for email in emails if email not in existing]
    if missing:
        password = make_password(DEMO_PASSWORD)
        made = User.objects.bulk_create(
            User(
                email=email,
                display_name=BIDDER_NAMES[emails.index(email) % len(BIDDER_NAMES)][0],
                password=password,
                date_joined=now - timedelta(days=30),
            )
            for email in missing
        )
        buyers, _created = Group.objects.get_or_create(name=Role.BUYER.value)
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=user.pk, group_id=buyers.pk) for user in made
        )
        existing.update({u.email: u for u in made})
    return [existing[email] for email in emails]


def _works(rng: random.Random) -> list[Work]:
    """Up to ``LOTS`` works of renowned designers: their priciest live product in an open
    shop, else a piece consigned by their own studio, else by the demo seller's shop."""
    consignee = Shop.objects.filter(owner__email=SELLER_EMAIL, status=ShopStatus.APPROVED).first()
    works: list[Work] = []
    seconds: list[Work] = []
    for designer in Designer.objects.filter(is_renowned=True).order_by("id"):
        products = list(
            Product.objects.filter(
                designer=designer, status=ProductStatus.LIVE, shop__status=ShopStatus.APPROVED
            )
            .select_related("shop")
            .order_by("-price_min_fen", "id")[:2]
        )
        if products:
            works.append(Work(designer, products[0].shop, products[0]))
            seconds += [Work(designer, p.shop, p) for p in products[1:]]
            continue
        shop = Shop.objects.filter(designer=designer, status=ShopStatus.APPROVED).first()
        shop = shop or consignee
        if shop is not None:
            works.append(Work(designer, shop, None))
    works += seconds
    return works[:LOTS]


def _yuan_round(fen: int, step_yuan: int = 100) -> int:
    step = step_yuan * 100
    return max(step, fen // step * step)


def _texts(work: Work) -> tuple[str, str, str, str]:
    d = work.designer
    if work.product is not None:
        title_zh = f"{work.product.title_zh} · 签名原作"[:120]
        title_en = f"{work.product.title_en or work.product.title_zh} — signed original"[:160]
        more_zh, more_en = work.product.description_zh, work.product.description_en
    else:
        title_zh = f"{d.name_zh}：手稿与原型"[:120]
        title_en = f"{d.name_en or d.name_zh}: sketches and prototype"[:160]
        more_zh, more_en = d.bio_zh, d.bio_en
    description_zh = (
        f"{d.name_zh}为本届设计周特别制作的作品，仅此一件，附设计师亲笔签名证书。\n\n{more_zh}"
    )
    description_en = (
        f"Made by {d.name_en or d.name_zh} for this year's design week: a single piece, "
        f"with a certificate signed by the designer.\n\n{more_en}"
    )
    return title_zh, title_en, description_zh, description_en


def _kind(index: int, with_closed: bool) -> str:
    if with_closed and index < 5:
        return CLOSED
    return UPCOMING if index >= LOTS - 6 else LIVE


def _times(kind: str, rank: int, now: datetime) -> tuple[datetime, datetime]:
    """Start and end of the ``rank``-th lot of its kind: the closed ones ended a few hours
    ago, the live ones close every 25 minutes from 20 minutes on, the others open tomorrow."""
    if kind == CLOSED:
        return now - timedelta(days=1), now - timedelta(hours=3) + timedelta(minutes=20 * rank)
    if kind == LIVE:
        return now - timedelta(hours=2), now + timedelta(minutes=20 + 25 * rank)
    return now + timedelta(days=1), now + timedelta(days=1, hours=2, minutes=2 * rank)


def _history(lot: Lot, bidders: list[User], rng: random.Random, *, until: datetime) -> int:
    """Bids in the past, applied with the engine at their own times; returns how many."""
    rules = lot_rules(lot)
    state = engine.LotState.opening(rules)
    count = rng.choice((0, 1, 2, 3, 4, 6, 8))
    span = (until - lot.starts_at).total_seconds()
    times = sorted(
        lot.starts_at + timedelta(seconds=int(span * rng.random())) for _ in range(count)
    )
    rows = []
    for sequence, at in enumerate(times, start=1):
        bidder = rng.choice([b for b in bidders if b.pk != state.leader_id])
        amount = state.minimum_bid_fen
        for _step in range(rng.choice((0, 0, 1, 2, 3))):
            amount = rules.next_valid(amount)
        state, events = engine.apply_bid(state, engine.Bid(bidder.pk, amount, at, bid_id=sequence))
        refused = events[0] if isinstance(events[0], engine.BidRefused) else None
        rows.append(
            Bid(
                lot=lot,
                bidder=bidder,
                sequence=sequence,
                max_fen=amount,
                placed_at=at,
                source=BidSource.SIMULATED,
                accepted=refused is None,
                refusal=refused.reason.value if refused else "",
                minimum_fen=refused.minimum_fen if refused else None,
            )
        )
    Bid.objects.bulk_create(rows)
    BidStep.objects.bulk_create(steps_rows(lot, state.steps, first=1))
    fields = snapshot_set(lot, state)
    lot.bid_sequence = len(rows)
    lot.step_count = len(state.steps)
    lot.version = len(rows)
    lot.save(update_fields=[*fields, "bid_sequence", "step_count", "version"])
    return len(rows)


def _write_sale(
    *, title: tuple[str, str], now: datetime, rng: random.Random, with_closed: bool
) -> dict[str, int]:
    bidders = _bidders(now)
    works = _works(rng)
    sale = AuctionSale.objects.create(
        title_zh=title[0],
        title_en=title[1],
        description_zh=(
            "设计周的压轴专场：知名设计师为本届设计周特别制作的签名原作，逐件截拍。"
            "出价采用代理竞价，截拍前 5 分钟内出价将自动延时。"
        ),
        description_en=(
            "The design week's closing sale: signed originals made for the week by its "
            "renowned designers, closing one after another. Proxy bidding; a bid in the "
            "last five minutes extends the lot."
        ),
        starts_at=now - timedelta(days=1) if with_closed else now - timedelta(hours=2),
        ends_at=now + timedelta(minutes=20),
        is_published=True,
        created_at=now - timedelta(days=3),
    )
    counts = {"auction lots": 0, "auction bids": 0}
    ranks: dict[str, int] = {}
    for index, work in enumerate(works):
        kind = _kind(index, with_closed)
        ranks[kind] = ranks.get(kind, -1) + 1
        starts_at, ends_at = _times(kind, ranks[kind], now)
        base = work.product.price_min_fen if work.product and work.product.price_min_fen else 0
        start = _yuan_round(max(base, 80_000) * rng.choice((1, 2, 3)))
        title_zh, title_en, description_zh, description_en = _texts(work)
        lot = lot_create(
            by=None,
            sale=sale,
            number=index + 1,
            designer=work.designer,
            shop=work.shop,
            product=work.product,
            title_zh=title_zh,
            title_en=title_en,
            description_zh=description_zh,
            description_en=description_en,
            estimate_low_fen=start * 2,
            estimate_high_fen=start * 4,
            start_price_fen=start,
            reserve_fen=_yuan_round(start * 5 // 2) if index % 3 == 1 else None,
            buy_now_fen=start * 6 if index % 7 == 3 else None,
            deposit_fen=_yuan_round(start // 10) if kind == LIVE and index % 4 == 2 else 0,
            starts_at=starts_at,
            scheduled_end_at=ends_at,
        )
        pictures = list(work.product.images.values_list("image", "alt")) if work.product else []
        if not pictures:
            # Manuscripts and prototypes: a sheet of the designer's sketches, then the designer.
            pictures = [(sketch_name(index), f"{work.designer.name_zh}的手稿")]
            if work.designer.portrait:
                pictures.append((work.designer.portrait.name, work.designer.name_zh))
        LotImage.objects.bulk_create(
            LotImage(lot=lot, image=name, alt=alt[:120], position=n)
            for n, (name, alt) in enumerate(pictures, start=1)
        )
        counts["auction lots"] += 1
        if kind == UPCOMING or lot.deposit_fen:
            continue  # nobody could have bid yet (deposits are paid live, in the demo)
        if index > 0 or kind != CLOSED:  # the first closed lot: nobody bid (unsold)
            until = min(now, ends_at) - timedelta(minutes=6)
            counts["auction bids"] += _history(lot, bidders, rng, until=until)
        if kind == CLOSED:
            lot_finalize(lot=lot)
    # The sale's own dates agree with its lots: it opens with the first and its first
    # lot closes when the earliest does (the card shows the span to the last one).
    span = sale.lots.aggregate(opens=Min("starts_at"), first_end=Min("scheduled_end_at"))
    if span["opens"] is not None:
        AuctionSale.objects.filter(pk=sale.pk).update(
            starts_at=span["opens"], ends_at=span["first_end"]
        )
    return counts


def auctions_write(*, now: datetime, seed: int) -> dict[str, int]:
    """Write the demo's evening sale, its bidders and its history; returns rows per kind."""
    with transaction.atomic():
        return _write_sale(title=SALE_TITLE, now=now, rng=random.Random(seed), with_closed=True)


def auctions_ensure_live(*, now: datetime) -> bool:
    """When no published lot is live or about to open (the demo started again days later),
    list an encore of the sale, live from now; returns whether it did."""
    running = Lot.objects.filter(
        Q(status=LotStatus.ACTIVE, outcome=""), sale__is_published=True, ends_at__gt=now
    )
    if running.exists() or not Designer.objects.filter(is_renowned=True).exists():
        return False
    with transaction.atomic():
        rng = random.Random(int(now.timestamp()))
        return bool(_write_sale(title=ENCORE_TITLE, now=now, rng=rng, with_closed=False))


def auctions_wipe() -> None:
    """Delete every sale with its lots, bids and watches (and the bidder accounts go with
    the demo accounts). Raises ``ProtectedError`` when money is on record: a deposit paid
    or a lot checked out."""
    paid = list(
        Deposit.objects.exclude(status__in=[DepositStatus.PENDING, DepositStatus.EXPIRED])[:1]
    ) + list(LotCheckout.objects.all()[:1])
    if paid:
        raise ProtectedError("auction money is on record", set(paid))
    Watch.objects.all().delete()
    SecondChanceOffer.objects.all().delete()
    Deposit.objects.all().delete()
    BidStep.objects.all().delete()
    Bid.objects.all().delete()
    LotImage.objects.all().delete()
    Lot.objects.all().delete()
    AuctionSale.objects.all().delete()
