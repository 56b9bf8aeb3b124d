"""The design-week passport (设计周护照): stamps, routes and their rewards.

Passports. Every visitor has one, made on first use (``passport_of``).

Booth stamps need presence. A booth's tablet (its seller's staff) shows a QR code of the
booth's rotating code (``booth_code_now``; the rule and its checks are
``passport_rules``: current or previous 30-second step, signed by the server for this
booth). The visitor's phone opens the URL it carries, and ``booth_stamp`` stamps the
booth if the code is good: an expired code (a photo sent home) is ``Conflict``
``stamp_code_expired``, another booth's or a made-up code ``stamp_code_wrong``, a
malformed one ``ValidationFailed`` ``stamp_code_malformed``. A visitor not logged in
keeps the moment the server saw their good code (``seen_at``, in their server-side
session) and is stamped after logging in, within ``PENDING_MINUTES``.

Event stamps come by themselves: when a ticket first enters at a door, check-in calls
``checkin_stamp`` after its transaction commits (``events.checkin.entered``); the
``o2o.passport_checkin_stamps`` sweeper stamps any entry that call missed.

One stamp per booth and per event per visitor: a second scan of a booth (or the same
code again) answers the stamp that stands (``new`` False) and changes nothing.

Routes and rewards. A route is complete when the visitor's stamps cover its
``stamps_needed`` places (``passport_rules.route_progress``). Each reward of a completed
route is granted once per visitor, in the transaction of the stamp that completed it:
a coupon (``promotions.coupon_grant``), a free seat (``events.reservation_complimentary``,
capacity respected) or a gift to collect at the information desk with a claim code
(redeemed there with the 核销 flow). A reward that cannot be given (the coupon ran out,
the lecture is full) is recorded ``unavailable`` with the reason, once too.

Concurrency. Every stamp of a visitor locks their passport row first (then, for a seat,
their user row and the session, in events' order), so the visitor's stamps queue behind
each other: however many of the last stamps arrive at once, one of them completes the
route and grants its rewards, and the others find the grants there. The unique indexes
(stamp per booth/event, grant per reward) stand behind the lock.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from designmall.accounts.models import User
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.events.models import CheckIn, Ticket
from designmall.events.services import reservation_complimentary
from designmall.o2o import passport_rules as rules
from designmall.o2o.models import Booth, BoothStatus
from designmall.o2o.passport_models import (
    GrantStatus,
    Passport,
    Reward,
    RewardGrant,
    RewardKind,
    Route,
    Stamp,
    StampSource,
)
from designmall.o2o.redemption import gift_redeemable_create
from designmall.orders import rules as order_rules
from designmall.promotions.services import coupon_grant

log = logging.getLogger(__name__)

PENDING_MINUTES = 10


# --- passports and codes -----------------------------------------------------------------------


def passport_of(user: User) -> Passport:
    """The visitor's passport, made on first use (a racing first use finds the other's)."""
    if not getattr(user, "pk", None):
        raise PermissionDenied(_("请先登录。"), code="login_required")
    found = Passport.objects.filter(user=user).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Passport.objects.create(user=user, created_at=clock.now())
    except IntegrityError:
        return Passport.objects.get(user=user)


def _secret() -> bytes:
    # Derived from the site's secret key: every web node signs and checks the same codes.
    return hashlib.sha256(f"o2o.passport:{settings.SECRET_KEY}".encode()).digest()


def _unix(moment: datetime) -> float:
    return moment.timestamp()


@dataclass(frozen=True)
class BoothCode:
    """What a booth's tablet shows now: the token, the URL its QR code carries, and how
    long until the next code (seconds)."""

    booth: Booth
    token: str
    url: str
    step: int
    seconds_left: int


def stamp_path(booth: Booth, token: str) -> str:
    return reverse("storefront:show_passport_stamp", args=[booth.code, token])


def booth_code_now(booth: Booth) -> BoothCode:
    """The booth's rotating code now (see the module's text)."""
    now = _unix(clock.now())
    step = rules.step_at(now)
    token = rules.token_make(_secret(), booth.code, step)
    return BoothCode(
        booth=booth,
        token=token,
        url=settings.SITE_URL + stamp_path(booth, token),
        step=step,
        seconds_left=rules.seconds_left(now),
    )


# --- stamping -----------------------------------------------------------------------------------


@dataclass
class StampResult:
    """A stamp and what it brought: ``new`` False when the place had stamped the visitor
    already; the routes it completed and the rewards granted with them."""

    stamp: Stamp
    new: bool
    completed: list[Route] = field(default_factory=list)
    grants: list[RewardGrant] = field(default_factory=list)


def booth_for_stamp(code: str) -> Booth:
    booth = (
        Booth.objects.select_related("shop", "venue")
        .filter(code=str(code or "").lower()[:16], status=BoothStatus.ACTIVE)
        .first()
    )
    if booth is None:
        raise NotFound(_("没有找到这个展位。"), code="booth_not_found")
    return booth


def token_verify(*, booth: Booth, token: str, at: datetime, used_steps=()) -> rules.Reading:
    """Check a scanned ``token`` for ``booth`` at the moment ``at``; refusals raise."""
    reading = rules.token_check(
        _secret(),
        booth=booth.code,
        token=token,
        now_step=rules.step_at(_unix(at)),
        used_steps=used_steps,
    )
    if reading.verdict == rules.Verdict.MALFORMED:
        raise ValidationFailed(
            _("这不是一个有效的打卡码。"),
            code="stamp_code_malformed",
            details={"field": "token"},
        )
    if reading.verdict == rules.Verdict.BAD_CODE:
        raise Conflict(
            _("这个打卡码不属于这个展位。请扫描展位平板上正在显示的二维码。"),
            code="stamp_code_wrong",
        )
    if reading.verdict == rules.Verdict.EXPIRED:
        raise Conflict(
            _("这个打卡码已过期。请在展位现场扫描平板上正在显示的二维码。"),
            code="stamp_code_expired",
        )
    return reading


def booth_stamp(
    *, user: User, booth_code: str, token: str, seen_at: datetime | None = None
) -> StampResult:
    """Stamp the visitor's passport at a booth with the code its tablet shows (see the
    module's text). ``seen_at``: when the server saw the good code, for a visitor who
    logged in since (at most ``PENDING_MINUTES`` ago); by default now."""
    if not getattr(user, "pk", None):
        raise PermissionDenied(_("请先登录。"), code="login_required")
    booth = booth_for_stamp(booth_code)
    now = clock.now()
    if seen_at is not None and not now - timedelta(minutes=PENDING_MINUTES) <= seen_at <= now:
        seen_at = now - timedelta(days=1)  # too long ago to stand for presence: expired
    reading = token_verify(booth=booth, token=token, at=seen_at or now)
    return _collect(passport_of(user), user=user, booth=booth, step=reading.step, at=now)


def checkin_stamp(ticket_id: int) -> StampResult | None:
    """Stamp the passport of a ticket's holder for its event, once it has entered (the
    hook check-in calls after its transaction commits; the sweeper's step). Idempotent;
    None for a ticket that has not entered."""
    ticket = (
        Ticket.objects.select_related("session", "user", "checkin").filter(pk=ticket_id).first()
    )
    checkin = getattr(ticket, "checkin", None) if ticket else None
    if ticket is None or checkin is None:
        return None
    passport = passport_of(ticket.user)
    return _collect(
        passport,
        user=ticket.user,
        event_id=ticket.session.event_id,
        ticket=ticket,
        at=checkin.entered_at,
    )


def checkin_stamps_missing(*, since: datetime | None = None, limit: int = 500) -> list[int]:
    """Tickets that entered (since ``since``) whose holder has no stamp for the event."""
    entries = CheckIn.objects.all()
    if since is not None:
        entries = entries.filter(entered_at__gte=since)
    stamped = Stamp.objects.filter(
        passport__user_id=OuterRef("ticket__user_id"), event_id=OuterRef("session__event_id")
    )
    return list(
        entries.annotate(stamped=Exists(stamped))
        .filter(stamped=False)
        .order_by("entered_at", "id")
        .values_list("ticket_id", flat=True)[:limit]
    )


def _collect(
    passport: Passport,
    *,
    user: User,
    at: datetime,
    booth: Booth | None = None,
    step: int | None = None,
    event_id: int | None = None,
    ticket: Ticket | None = None,
) -> StampResult:
    """Add a stamp for a booth or an event (one transaction, the passport locked first),
    then grant the rewards of the routes it completes."""
    with transaction.atomic():
        Passport.objects.select_for_update().filter(pk=passport.pk).values_list("pk").get()
        place = {"booth": booth} if booth is not None else {"event_id": event_id}
        stamp = Stamp.objects.filter(passport=passport, **place).first()
        if stamp is not None:
            return StampResult(stamp=stamp, new=False)
        stamp = Stamp.objects.create(
            passport=passport,
            source=StampSource.BOOTH if booth is not None else StampSource.CHECKIN,
            step=step,
            ticket=ticket,
            stamped_at=at if booth is None else clock.now(),
            **place,
        )
        audit_record(
            actor=user,
            action="passport.stamp",
            target=passport,
            data={"booth": booth.public_id if booth else None, "event": event_id},
        )
        routes = Route.objects.filter(is_active=True)
        routes = (
            routes.filter(booths=booth) if booth is not None else routes.filter(events=event_id)
        )
        completed, grants = _settle(passport, user, routes.distinct())
    return StampResult(stamp=stamp, new=True, completed=completed, grants=grants)


def _settle(passport: Passport, user: User, routes) -> tuple[list[Route], list[RewardGrant]]:
    """Grant the rewards not yet granted of those ``routes`` the (locked) passport has
    completed; returns the completed routes and the new grants."""
    booths = set(
        Stamp.objects.filter(passport=passport, booth__isnull=False).values_list(
            "booth_id", flat=True
        )
    )
    events = set(
        Stamp.objects.filter(passport=passport, event__isnull=False).values_list(
            "event_id", flat=True
        )
    )
    completed: list[Route] = []
    grants: list[RewardGrant] = []
    granted = set(RewardGrant.objects.filter(passport=passport).values_list("reward_id", flat=True))
    for route in routes.prefetch_related("booths", "events", "rewards"):
        progress = rules.route_progress(
            booths=[b.pk for b in route.booths.all()],
            events=[e.pk for e in route.events.all()],
            needed=route.stamps_needed,
            stamped_booths=booths,
            stamped_events=events,
        )
        if not progress.complete:
            continue
        completed.append(route)
        for reward in route.rewards.all():
            if reward.pk not in granted:
                grants.append(_grant(reward, passport, user))
    return completed, grants


def _grant(reward: Reward, passport: Passport, user: User) -> RewardGrant:
    """Give one reward (the passport locked, no grant of it yet)."""
    now = clock.now()
    grant = RewardGrant(reward=reward, passport=passport, granted_at=now)
    try:
        with transaction.atomic():
            if reward.kind == RewardKind.COUPON:
                grant.coupon = coupon_grant(template=reward.coupon_template, buyer=user)
            elif reward.kind == RewardKind.SEAT:
                grant.reservation = reservation_complimentary(
                    session=reward.session,
                    user=user,
                    reason=f"passport {reward.route.public_id} {reward.public_id}",
                )
            else:
                # A pickup code: the counter reads it like a booth pickup's.
                grant.claim_code = order_rules.new_pickup_code()
                gift_redeemable_create(
                    code=grant.claim_code,
                    holder=user,
                    title_zh=reward.gift_zh,
                    title_en=reward.gift_en,
                )
    except (Conflict, NotFound, ValidationFailed) as exc:
        grant.status, grant.refusal = GrantStatus.UNAVAILABLE, exc.code[:40]
    else:
        grant.status = GrantStatus.GRANTED
    grant.save()
    audit_record(
        actor=user,
        action=f"passport.reward.{grant.status}",
        target=grant,
        data={"reward": reward.public_id, "kind": reward.kind, "refusal": grant.refusal},
    )
    return grant


def passport_settle(*, user: User) -> list[RewardGrant]:
    """Grant what the visitor's completed routes owe them but they do not have yet (a
    reward an operator added after they completed the route). Locks nothing when nothing
    is owed."""
    view = passport_view(user=user)
    granted = {g.reward_id for g in view.grants}
    owed = [
        rv.route.pk
        for rv in view.routes
        if rv.complete and any(r.pk not in granted for r in rv.route.rewards.all())
    ]
    if not owed:
        return []
    with transaction.atomic():
        Passport.objects.select_for_update().filter(pk=view.passport.pk).values_list("pk").get()
        return _settle(view.passport, user, Route.objects.filter(pk__in=owed))[1]


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteView:
    route: Route
    have: int
    needed: int
    complete: bool
    stamped_booths: frozenset[int]
    stamped_events: frozenset[int]


@dataclass(frozen=True)
class PassportView:
    passport: Passport
    stamps: list[Stamp]
    routes: list[RouteView]
    grants: list[RewardGrant]


def routes_active():
    return (
        Route.objects.filter(is_active=True)
        .prefetch_related(
            Prefetch("booths", queryset=Booth.objects.select_related("shop", "venue")),
            "events",
            Prefetch(
                "rewards",
                queryset=Reward.objects.select_related("coupon_template", "session__event"),
            ),
        )
        .order_by("position", "id")
    )


def passport_view(*, user: User) -> PassportView:
    """The visitor's passport: stamps (newest first), every active route with their
    progress, and their rewards."""
    passport = passport_of(user)
    stamps = list(
        Stamp.objects.filter(passport=passport).select_related(
            "booth__shop", "booth__venue", "event"
        )
    )
    booths = frozenset(s.booth_id for s in stamps if s.booth_id)
    events = frozenset(s.event_id for s in stamps if s.event_id)
    routes = []
    for route in routes_active():
        progress = rules.route_progress(
            booths=[b.pk for b in route.booths.all()],
            events=[e.pk for e in route.events.all()],
            needed=route.stamps_needed,
            stamped_booths=booths,
            stamped_events=events,
        )
        routes.append(
            RouteView(
                route=route,
                have=min(progress.have, progress.needed),
                needed=progress.needed,
                complete=progress.complete,
                stamped_booths=booths,
                stamped_events=events,
            )
        )
    return PassportView(passport=passport, stamps=stamps, routes=routes, grants=grants_of(passport))


def grants_of(passport: Passport) -> list[RewardGrant]:
    return list(
        RewardGrant.objects.filter(passport=passport).select_related(
            "reward__route",
            "reward__coupon_template",
            "reward__session__event",
            "coupon",
            "reservation__session__event",
        )
    )
