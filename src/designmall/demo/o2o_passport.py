"""The passport in the demo: three routes over the demo booths, each with a reward of one
kind (a coupon handed out only as a route's reward, a free seat at an upcoming lecture, a
tote bag at the information desk), and the demo buyer two stamps into the first route.

The first route ("玻璃之旅") has the demo seller's booth among its five and needs three
stamps: the demo buyer has two (other booths), so opening the seller's booth tablet
(seller center → my booths → stamp tablet) and scanning it with the buyer's phone completes
the route and puts the coupon in the buyer's coupons. Written through the services (the
buyer's stamps with the booths' codes of the moment), dated around ``now``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from designmall.accounts.models import User
from designmall.demo.accounts import OPERATOR_EMAIL, SELLER_EMAIL
from designmall.demo.programme import BUYER_EMAIL
from designmall.events.models import EventKind, EventStatus, Session, SessionStatus
from designmall.o2o import passport
from designmall.o2o.models import Booth, BoothStatus
from designmall.o2o.passport_models import (
    Passport,
    Reward,
    RewardGrant,
    RewardKind,
    Route,
    Stamp,
)
from designmall.promotions.services import platform_coupon_create

WEEK_LEFT = timedelta(days=8)


def o2o_passport_wipe() -> None:
    """Delete passports, stamps, grants and routes (before booths, coupons and bookings)."""
    RewardGrant.objects.all().delete()
    Stamp.objects.all().delete()
    Passport.objects.all().delete()
    Reward.objects.all().delete()
    Route.objects.all().delete()


def _route(position: int, name: tuple[str, str], about: tuple[str, str], booths, **kw) -> Route:
    route = Route.objects.create(
        name_zh=name[0],
        name_en=name[1],
        description_zh=about[0],
        description_en=about[1],
        position=position,
        created_at=kw.pop("now"),
        stamps_needed=kw.pop("needed", None),
    )
    route.booths.set(booths)
    route.events.set(kw.pop("events", []))
    return route


def o2o_passport_write(*, now: datetime) -> dict[str, int]:
    """Write the demo week's routes and rewards and the demo buyer's first stamps."""
    booths = list(
        Booth.objects.filter(status=BoothStatus.ACTIVE)
        .select_related("shop__owner")
        .order_by("venue__position", "venue_id", "number", "id")
    )
    operator = User.objects.filter(email=OPERATOR_EMAIL).first()
    if len(booths) < 12 or operator is None:
        return {"passport_routes": 0}
    seller_booth = next((b for b in booths if b.shop.owner.email == SELLER_EMAIL), booths[0])
    others = [b for b in booths if b.pk != seller_booth.pk]
    first_venue = [b for b in others if b.venue_id == seller_booth.venue_id]
    glass = [seller_booth, *(first_venue or others)[:4]]
    rest = [b for b in others if b not in glass]
    newcomers = rest[:4]
    panorama = rest[4::8][:5]  # booths are in venue order: a spread over the venues

    template = platform_coupon_create(
        by=operator,
        name_zh="护照路线奖励券",
        name_en="Passport route reward",
        kind="spend_off",
        threshold_fen=20_000,
        off_fen=5_000,
        total_quantity=2_000,
        per_buyer_limit=1,
        distribution="codes",
        claim_starts_at=now - timedelta(days=1),
        claim_ends_at=now + WEEK_LEFT,
        validity="fixed",
        valid_from=now - timedelta(days=1),
        valid_until=now + WEEK_LEFT,
    )
    lecture = (
        Session.objects.filter(
            event__kind=EventKind.LECTURE,
            event__status=EventStatus.PUBLISHED,
            status=SessionStatus.SCHEDULED,
            starts_at__gt=now + timedelta(days=1),
            reservation_closes_at__gt=now + timedelta(days=1),
        )
        .select_related("event")
        .order_by("starts_at", "id")
        .first()
    )
    routes = []
    glass_route = _route(
        1,
        ("玻璃之旅", "Glass trail"),
        (
            "走访五间工作室，集齐三枚印章即得满 200 减 50 优惠券。",
            "Visit five studios; three stamps earn a ¥50-off-¥200 coupon.",
        ),
        glass,
        needed=3,
        now=now,
    )
    Reward.objects.create(route=glass_route, kind=RewardKind.COUPON, coupon_template=template)
    routes.append(glass_route)
    newcomer_route = _route(
        2,
        ("新锐设计师之路", "New designers' walk"),
        (
            "四个新锐展位加一场讲座，集齐四枚印章获赠讲座免费座位。",
            "Four newcomers' booths and a lecture; four stamps earn a free lecture seat.",
        ),
        newcomers,
        needed=4,
        events=[lecture.event] if lecture else [],
        now=now,
    )
    if lecture is not None:
        Reward.objects.create(route=newcomer_route, kind=RewardKind.SEAT, session=lecture)
    routes.append(newcomer_route)
    panorama_route = _route(
        3,
        ("设计周全景", "Design Week panorama"),
        (
            "走遍各个场馆的展位，集齐全部印章到服务台领取限定帆布袋。",
            "Booths across the venues: every stamp earns a limited tote bag at the info desk.",
        ),
        panorama,
        now=now,
    )
    Reward.objects.create(
        route=panorama_route,
        kind=RewardKind.GIFT,
        gift_zh="设计周限定帆布袋",
        gift_en="Design Week limited tote bag",
    )
    routes.append(panorama_route)

    stamps = 0
    buyer = User.objects.filter(email=BUYER_EMAIL).first()
    if buyer is not None:
        for booth in [*glass[1:3], panorama[0]]:
            token = passport.booth_code_now(booth).token
            stamps += passport.booth_stamp(user=buyer, booth_code=booth.code, token=token).new
    return {"passport_routes": len(routes), "passport_stamps": stamps}
