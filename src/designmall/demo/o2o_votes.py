"""The audience award in the demo: "设计周人气奖" open now (from yesterday to a week from the
build day) with three categories over the demo's exhibits (furniture and lighting by
catalog category, live pieces chosen by hand), votes from visitors checked in at the
doors, and two patterns the operator should see flagged: accounts voting from one phone,
and a burst of accounts created a minute apart voting alike. The buyer demo account has a
checked-in ticket, so it can vote, and a few favourites.

Written as bulk rows in the demo's transaction; every row is one the services would
accept (voters checked in, exhibits in their category, one vote per visitor and
category); the flags are then set by the same rules as live votes
(``votes.vote_flags_refresh``).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from designmall.accounts.models import User
from designmall.demo.accounts import DEMO_ACCOUNTS, DEMO_EMAIL_DOMAIN
from designmall.demo.programme import BUYER_EMAIL, STAFF_EMAIL
from designmall.events.models import CheckIn, CheckinList, Scan, Ticket, TicketStatus
from designmall.o2o import votes
from designmall.o2o.favourites_models import Favourite
from designmall.o2o.models import Exhibit, ExhibitKind
from designmall.o2o.votes_models import Award, AwardCategory, Vote

VOTERS = 90
# Demo visitors were created a minute apart: voters this many places apart are further
# apart than the burst window, so only the burst below looks like one.
VOTER_STEP = 12
BURST = 6
SHARED_PHONE_ACCOUNTS = 3
CATEGORIES = (
    ("最佳家具", "Best Furniture", "furniture"),
    ("最佳灯具", "Best Lighting", "lighting"),
    ("现场最受欢迎", "Crowd Favourite on Show", None),
)


def o2o_votes_wipe() -> None:
    """Delete the awards, votes and favourites (before the show's exhibits and the demo
    accounts; the check-ins written go with the programme)."""
    Vote.objects.all().delete()
    Favourite.objects.all().delete()
    AwardCategory.exhibits.through.objects.all().delete()
    AwardCategory.catalog_categories.through.objects.all().delete()
    AwardCategory.objects.all().delete()
    Award.objects.all().delete()


def _check_in(tickets: list[Ticket], *, now: datetime, staff: User | None) -> int:
    """Check each ticket in at a door of its session (its list), before now."""
    lists: dict[int, int] = {}
    for list_id, session_id in CheckinList.sessions.through.objects.filter(
        session_id__in={t.session_id for t in tickets}
    ).values_list("checkinlist_id", "session_id"):
        lists.setdefault(session_id, list_id)
    gates = dict(CheckinList.objects.values_list("pk", "gate"))
    rows = []
    for ticket in tickets:
        list_id = lists.get(ticket.session_id)
        if list_id is None:
            continue
        session = ticket.session
        entered = min(now - timedelta(minutes=30), session.starts_at - timedelta(minutes=10))
        scan = Scan(
            scan_id=str(uuid.uuid4()),
            checkin_list_id=list_id,
            ticket=ticket,
            code=ticket.public_id,
            user=staff,
            gate=gates[list_id],
            direction="entry",
            source="online",
            scanned_at=entered,
            received_at=entered,
            device_outcome="accepted",
            outcome="accepted",
        )
        rows.append((ticket, scan, list_id, entered))
    scans = Scan.objects.bulk_create([scan for _t, scan, _l, _e in rows])
    CheckIn.objects.bulk_create(
        CheckIn(
            ticket=ticket,
            session_id=ticket.session_id,
            first_scan=scan,
            last_scan=scan,
            checkin_list_id=list_id,
            entered_at=entered,
            gate=scan.gate,
            updated_at=entered,
        )
        for (ticket, _s, list_id, entered), scan in zip(rows, scans, strict=True)
    )
    return len(rows)


def _one_ticket_each(users: list[User], *, now: datetime) -> dict[int, Ticket]:
    """A valid ticket of each user not checked in yet, a session already begun first."""
    chosen: dict[int, Ticket] = {}
    tickets = (
        Ticket.objects.filter(user__in=users, status=TicketStatus.VALID, checkin__isnull=True)
        .select_related("session")
        .order_by("session__starts_at", "pk")
    )
    for ticket in tickets:
        current = chosen.get(ticket.user_id)
        if current is None or (current.session.starts_at > now and ticket.session.starts_at <= now):
            chosen[ticket.user_id] = ticket
    return chosen


def o2o_votes_write(*, now: datetime, seed: int) -> dict[str, int]:
    """Write the award, its categories, check-ins for the voters, votes and favourites."""
    rng = random.Random(f"{seed}:o2o-votes")
    exhibits = list(
        Exhibit.objects.filter(is_active=True, booth__status="active")
        .select_related("product__category__parent")
        .order_by("pk")
    )
    if not exhibits:
        return {"awards": 0, "votes": 0}
    award = Award.objects.create(
        name_zh="2026 设计周人气奖",
        name_en="Design Week 2026 Audience Award",
        description_zh="检票入场的观众为每个类别最喜欢的一件展品投票，投票截止前可以改投。",
        description_en=(
            "Visitors checked in at the show vote for their favourite exhibit in each "
            "category and may change their vote until voting closes."
        ),
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=7),
        created_at=now - timedelta(days=2),
        updated_at=now - timedelta(days=2),
    )
    from designmall.catalog.models import Category

    slugs = {c.slug: c for c in Category.objects.filter(parent__isnull=True)}
    taking_part: dict[int, list[Exhibit]] = {}
    categories = []
    for position, (zh, en, slug) in enumerate(CATEGORIES):
        category = AwardCategory.objects.create(
            award=award, name_zh=zh, name_en=en, position=position
        )
        categories.append(category)
        if slug and slug in slugs:
            category.catalog_categories.set([slugs[slug]])
        else:
            shown = [e for e in exhibits if e.kind != ExhibitKind.PRODUCT]
            category.exhibits.set(rng.sample(shown, min(10, len(shown))))
        taking_part[category.pk] = list(votes.category_exhibits(category))

    demo_emails = {a.email for a in DEMO_ACCOUNTS}
    visitors = list(
        User.objects.filter(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}")
        .exclude(email__in=demo_emails)
        .order_by("date_joined", "pk")
    )
    buyer = User.objects.filter(email=BUYER_EMAIL).first()
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    tickets = _one_ticket_each([*visitors, *([buyer] if buyer else [])], now=now)
    holders = [v for v in visitors if v.pk in tickets]
    spread = holders[::VOTER_STEP][:VOTERS]
    rest = [v for v in holders if v not in set(spread)]
    burst, shared = rest[:BURST], rest[BURST : BURST + SHARED_PHONE_ACCOUNTS]
    # The burst: accounts a script registered a minute apart two days ago.
    for i, voter in enumerate(burst):
        voter.date_joined = now - timedelta(days=2) + timedelta(minutes=i)
    User.objects.bulk_update(burst, ["date_joined"])
    wanted = {u.pk for u in [*spread, *burst, *shared, *([buyer] if buyer else [])]}
    already = set(
        CheckIn.objects.filter(ticket__user_id__in=wanted).values_list("ticket__user_id", flat=True)
    )
    checkins = _check_in(
        [t for uid, t in tickets.items() if uid in wanted and uid not in already],
        now=now,
        staff=staff,
    )
    entered = set(
        CheckIn.objects.filter(ticket__user_id__in=wanted).values_list("ticket__user_id", flat=True)
    )

    phone = "demo-shared-phone"
    together = {u.pk for u in [*burst, *shared]}  # the patterns the flags should catch
    rows = []
    for category in categories:
        pool = taking_part[category.pk]
        if not pool:
            continue
        # A few favourites draw most votes, as at a real show.
        weights = [1 / (i + 1) for i in range(len(pool))]
        target = rng.choice(pool)
        for n, voter in enumerate([*spread, *burst, *shared]):
            if voter.pk not in entered or (voter.pk not in together and rng.random() < 0.3):
                continue
            alike = voter.pk in together
            exhibit = target if alike else rng.choices(pool, weights)[0]
            at = now - timedelta(hours=rng.randint(1, 20), minutes=n % 60)
            rows.append(
                Vote(
                    category=category,
                    voter=voter,
                    exhibit=exhibit,
                    visitor_id=phone if voter in shared else f"demo-{rng.getrandbits(64):016x}",
                    cast_at=at,
                    changed_at=at,
                )
            )
    Vote.objects.bulk_create(rows)
    for category in categories:
        votes.vote_flags_refresh(category=category)

    favourites = 0
    if buyer is not None:
        picks = rng.sample(exhibits, min(4, len(exhibits)))
        Favourite.objects.bulk_create(
            Favourite(user=buyer, exhibit=e, created_at=now - timedelta(hours=i + 1))
            for i, e in enumerate(picks)
        )
        favourites = len(picks)
    return {
        "awards": 1,
        "award_categories": len(categories),
        "votes": len(rows),
        "show_checkins": checkins,
        "favourites": favourites,
    }
