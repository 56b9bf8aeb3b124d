"""The design-week passport (设计周护照): stamps, routes, rewards.

A visitor stamps a booth with the code its tablet shows (``POST /o2o/passport/stamps``,
the ``booth`` short code and the ``token`` at the end of the QR code's URL
``/o/p/<booth>/<token>/``): 409 ``stamp_code_expired`` for a code older than the previous
30-second step (a photo), 409 ``stamp_code_wrong`` for another booth's or a made-up code,
422 ``stamp_code_malformed``. A booth stamps a visitor once: again answers 200 with
``new`` false. Event check-ins stamp by themselves. ``GET /o2o/passport`` is the caller's
passport (stamps, every route with their progress, rewards); ``/o2o/passport/routes`` the
routes (public); ``/o2o/passport/rewards`` the caller's rewards. A booth's staff read the
code to show at ``GET /seller/booths/{id}/stamp-code`` (another shop's booth is 404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StringConstraints

from designmall.api.auth import AUTHENTICATED
from designmall.api.errors import with_errors
from designmall.api.schemas import Input, ShopRef, shop_ref
from designmall.o2o import passport, services
from designmall.o2o.passport_models import RewardGrant, Route, Stamp
from designmall.o2o.passport_rules import TOKEN_MAX

router = Router(tags=["o2o"])
visitor_router = Router(tags=["o2o"], auth=AUTHENTICATED)

ShortCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{10}$")]


class StampIn(Input):
    booth: ShortCode = Field(description="The booth's short code (in the QR code's URL).")
    token: Annotated[str, StringConstraints(min_length=1, max_length=TOKEN_MAX)] = Field(
        description="The rotating code, ``<step>-<code>`` (the URL's last part)."
    )


class BoothRefOut(Schema):
    public_id: str
    code: str
    number: str
    shop: ShopRef
    venue_zh: str
    venue_en: str


class EventRefOut(Schema):
    public_id: str
    title_zh: str
    title_en: str


class StampOut(Schema):
    source: Literal["booth", "checkin"]
    booth: BoothRefOut | None
    event: EventRefOut | None
    stamped_at: datetime


class RewardOut(Schema):
    public_id: str
    kind: Literal["coupon", "seat", "gift"]
    name_zh: str = Field(description="The coupon's, the lecture's or the gift's name.")
    name_en: str
    session: str | None = Field(description="The session's public id (kind seat).")
    starts_at: datetime | None = Field(description="When the lecture starts (kind seat).")


class RouteOut(Schema):
    public_id: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    stamps_needed: int
    booths: list[BoothRefOut]
    events: list[EventRefOut]
    rewards: list[RewardOut]


class RouteProgressOut(RouteOut):
    have: int = Field(description="The caller's stamps on the route (at most stamps_needed).")
    complete: bool


class GrantOut(Schema):
    public_id: str
    route: str = Field(description="The route's public id.")
    reward: RewardOut
    status: Literal["granted", "unavailable"]
    refusal: str = Field(description="Why it could not be given (e.g. session_full).")
    coupon: str | None = Field(description="The coupon's public id (kind coupon).")
    reservation: str | None = Field(description="The reservation's public id (kind seat).")
    claim_code: str | None = Field(description="To show at the information desk (kind gift).")
    granted_at: datetime


class PassportOut(Schema):
    public_id: str
    stamps: list[StampOut]
    routes: list[RouteProgressOut]
    rewards: list[GrantOut]


class StampResultOut(Schema):
    new: bool = Field(description="False when this booth had stamped the caller already.")
    stamp: StampOut
    completed: list[str] = Field(description="Public ids of the routes this stamp completed.")
    rewards: list[GrantOut] = Field(description="The rewards granted with it.")


class StampCodeOut(Schema):
    token: str
    url: str = Field(description="What the tablet's QR code carries.")
    seconds_left: int = Field(description="Until the next code (30-second steps).")


def booth_ref(booth) -> dict[str, Any]:
    return {
        "public_id": booth.public_id,
        "code": booth.code,
        "number": booth.number,
        "shop": shop_ref(booth.shop),
        "venue_zh": booth.venue.name_zh,
        "venue_en": booth.venue.name_en,
    }


def event_ref(event) -> dict[str, Any]:
    return {"public_id": event.public_id, "title_zh": event.title_zh, "title_en": event.title_en}


def stamp_out(stamp: Stamp) -> dict[str, Any]:
    return {
        "source": stamp.source,
        "booth": booth_ref(stamp.booth) if stamp.booth_id else None,
        "event": event_ref(stamp.event) if stamp.event_id else None,
        "stamped_at": stamp.stamped_at,
    }


def reward_out(reward) -> dict[str, Any]:
    if reward.kind == "coupon":
        names = (reward.coupon_template.name_zh, reward.coupon_template.name_en)
    elif reward.kind == "seat":
        names = (reward.session.event.title_zh, reward.session.event.title_en)
    else:
        names = (reward.gift_zh, reward.gift_en)
    return {
        "public_id": reward.public_id,
        "kind": reward.kind,
        "name_zh": names[0],
        "name_en": names[1],
        "session": reward.session.public_id if reward.session_id else None,
        "starts_at": reward.session.starts_at if reward.session_id else None,
    }


def route_out(route: Route) -> dict[str, Any]:
    places = len(route.booths.all()) + len(route.events.all())
    return {
        "public_id": route.public_id,
        "name_zh": route.name_zh,
        "name_en": route.name_en,
        "description_zh": route.description_zh,
        "description_en": route.description_en,
        "stamps_needed": passport.rules.stamps_needed(places=places, needed=route.stamps_needed),
        "booths": [booth_ref(b) for b in route.booths.all()],
        "events": [event_ref(e) for e in route.events.all()],
        "rewards": [reward_out(r) for r in route.rewards.all()],
    }


def grant_out(grant: RewardGrant) -> dict[str, Any]:
    return {
        "public_id": grant.public_id,
        "route": grant.reward.route.public_id,
        "reward": reward_out(grant.reward),
        "status": grant.status,
        "refusal": grant.refusal,
        "coupon": grant.coupon.public_id if grant.coupon_id else None,
        "reservation": grant.reservation.public_id if grant.reservation_id else None,
        "claim_code": grant.claim_code_printed or None,
        "granted_at": grant.granted_at,
    }


@router.get("/o2o/passport/routes", response=with_errors({200: list[RouteOut]}))
def routes(request: HttpRequest):
    """The design week's active routes: their booths and events, how many stamps complete
    them, and their rewards."""
    return [route_out(r) for r in passport.routes_active()]


@visitor_router.get("/o2o/passport", response=with_errors({200: PassportOut}, 401))
def my_passport(request: HttpRequest):
    """The caller's passport (made on first use): stamps, newest first; every active route
    with their progress; their rewards."""
    passport.passport_settle(user=request.auth)
    view = passport.passport_view(user=request.auth)
    return {
        "public_id": view.passport.public_id,
        "stamps": [stamp_out(s) for s in view.stamps],
        "routes": [
            {**route_out(rv.route), "have": rv.have, "complete": rv.complete} for rv in view.routes
        ],
        "rewards": [grant_out(g) for g in view.grants],
    }


@visitor_router.get("/o2o/passport/rewards", response=with_errors({200: list[GrantOut]}, 401))
def my_rewards(request: HttpRequest):
    """The caller's rewards, newest first (granted, or recorded as unavailable)."""
    return [grant_out(g) for g in passport.grants_of(passport.passport_of(request.auth))]


@visitor_router.post(
    "/o2o/passport/stamps",
    response=with_errors({200: StampResultOut, 201: StampResultOut}, 401, 404, 409, 422),
)
def stamp_create(request: HttpRequest, payload: StampIn):
    """Stamp the caller's passport at a booth with the code its tablet shows: 201 with the
    routes it completed and the rewards granted, or 200 (``new`` false) when the booth had
    stamped the caller already. Idempotent by nature: one stamp per booth per visitor."""
    result = passport.booth_stamp(user=request.auth, booth_code=payload.booth, token=payload.token)
    stamp = Stamp.objects.select_related("booth__shop", "booth__venue").get(pk=result.stamp.pk)
    grants = passport.grants_of(result.stamp.passport)
    new_ids = {g.pk for g in result.grants}
    body = {
        "new": result.new,
        "stamp": stamp_out(stamp),
        "completed": [r.public_id for r in result.completed],
        "rewards": [grant_out(g) for g in grants if g.pk in new_ids],
    }
    return Status(201 if result.new else 200, body)


@visitor_router.get(
    "/seller/booths/{pid:public_id}/stamp-code",
    response=with_errors({200: StampCodeOut}, 401, 404),
)
def booth_stamp_code(request: HttpRequest, public_id: str):
    """The code the booth's tablet shows now (changes every 30 seconds), for the caller's
    own booth."""
    booth = services.booth_for_seller(user=request.auth, public_id=public_id)
    shown = passport.booth_code_now(booth)
    return {"token": shown.token, "url": shown.url, "seconds_left": shown.seconds_left}
