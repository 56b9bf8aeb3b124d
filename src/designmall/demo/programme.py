"""The demo design week's programme: venues and halls, events by the seeded designers,
sessions across the week's days, and some visitors' reservations.

Planned in plain Python from its own ``random.Random`` (so the catalog's draws
are untouched and the same seed always plans the same programme), then written
with ``bulk_create``: four venues with fifteen halls; six exhibitions with
hourly timed entry every day, ten shows, twenty-six lectures and twenty
workshops (62 events, about 600 sessions); a mix of free and priced sessions;
some free sessions nearly full, and one small show completely full (two of its
seats are the ``newseller`` demo account's, so the demo can cancel them and
hand the seats to whoever waits; it is always at least two days after the
build, so they can still be cancelled); the ``buyer`` demo account holds free
tickets for the next session to start, one on a day to come and one past. Every
seeded reservation is confirmed with its tickets, and each session's
``confirmed`` counter is their sum, as the services would leave it. Sessions
open for reservation two weeks before the week at ten in the morning.

The week is ``events.week``'s: placed around the day the data is built (two days
past, today live, the rest to come) unless ``DESIGN_WEEK_START`` fixes it. On the
day of building, the exhibitions stay open late (until three hours after the
build, midnight at the latest), so whenever the demo is built there are sessions
later that day to reserve and doors about to open.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import ProtectedError

from designmall.accounts.models import User
from designmall.catalog.models import Designer
from designmall.demo.accounts import DEMO_ACCOUNTS
from designmall.demo.data import Pair
from designmall.demo.generator import DesignerPlan, Plan
from designmall.demo.images import POOL_PER_CATEGORY, product_image_name
from designmall.events.models import (
    CheckIn,
    CheckinList,
    Event,
    EventKind,
    EventStatus,
    Hall,
    Reservation,
    ReservationStatus,
    Scan,
    ScannerDevice,
    Session,
    Ticket,
    Venue,
)
from designmall.events.week import WeekDates

SEED_OFFSET = 4_004  # the programme's draws start elsewhere than the catalog's
BATCH_SIZE = 2000
NEWSELLER_EMAIL = next(a.email for a in DEMO_ACCOUNTS if a.email.startswith("newseller@"))
BUYER_EMAIL = next(a.email for a in DEMO_ACCOUNTS if a.email.startswith("buyer@"))
NEWSELLER, BUYER = -1, -2  # the demo accounts among the seeded reservations' holders
STAFF_EMAIL = next(a.email for a in DEMO_ACCOUNTS if a.email.startswith("staff@"))
FULL_SHOW_ZH = "衣柜里的城市（沉浸式小剧场）"

# --- what there is --------------------------------------------------------------------------

# (zh, en) name, (zh, en) address, halls as (zh, en, capacity, use).
VENUES: tuple[tuple[Pair, Pair, tuple[tuple[str, str, int, str], ...]], ...] = (
    (
        ("滨江设计中心", "Riverside Design Centre"),
        ("上海市徐汇区龙腾大道 2555 号", "2555 Longteng Avenue, Xuhui District, Shanghai"),
        (
            ("一号展厅", "Hall 1", 600, "exhibition"),
            ("二号展厅", "Hall 2", 400, "exhibition"),
            ("三号展厅", "Hall 3", 300, "exhibition"),
            ("多功能厅", "Forum", 260, "talks"),
        ),
    ),
    (
        ("老码头仓库", "Old Dock Warehouses"),
        ("上海市黄浦区中山南路 505 号", "505 South Zhongshan Road, Huangpu District, Shanghai"),
        (
            ("A 仓", "Warehouse A", 500, "exhibition"),
            ("B 仓", "Warehouse B", 350, "exhibition"),
            ("工坊间", "Workshop Room", 40, "workshop"),
        ),
    ),
    (
        ("梧桐剧场", "Plane Tree Theatre"),
        ("上海市静安区南京西路 1025 号", "1025 West Nanjing Road, Jing'an District, Shanghai"),
        (
            ("大剧场", "Main Stage", 900, "stage"),
            ("小剧场", "Studio Stage", 220, "stage"),
            ("排练厅", "Rehearsal Room", 60, "small stage"),
        ),
    ),
    (
        ("云间书院", "Cloud Academy"),
        ("上海市长宁区愚园路 1107 号", "1107 Yuyuan Road, Changning District, Shanghai"),
        (
            ("回廊展区", "Cloister Gallery", 150, "exhibition"),
            ("报告厅", "Auditorium", 320, "talks"),
            ("研讨室", "Seminar Room", 80, "talks"),
            ("手作教室一", "Craft Studio 1", 24, "workshop"),
            ("手作教室二", "Craft Studio 2", 24, "workshop"),
        ),
    ),
)

# Title, description and the category whose pictures make the cover.
EXHIBITIONS: tuple[tuple[Pair, Pair, str], ...] = (
    (
        ("日常的未来：中国当代设计年展", "The Future of Everyday: Contemporary Chinese Design"),
        (
            "年度主题展，汇集两百余件家具、器物与生活用品，呈现设计如何改变日常。",
            "The week's theme show: two hundred pieces of furniture, objects and everyday "
            "things on how design changes daily life.",
        ),
        "furniture",
    ),
    (
        ("光与影：照明设计的一百种可能", "Light and Shadow: A Hundred Ways to Light a Room"),
        (
            "从纸灯到智能灯具，一百盏灯讲述光如何塑造空间与情绪。",
            "From paper lanterns to connected lamps, a hundred lights on how light shapes "
            "space and mood.",
        ),
        "lighting",
    ),
    (
        ("泥土的记忆：当代陶瓷艺术展", "Memory of Clay: Contemporary Ceramics"),
        (
            "三十位陶艺家的新作，从柴烧到 3D 打印泥条，探讨手与火的当代语言。",
            "New work by thirty ceramicists, from wood firing to 3D-printed coils: the hand "
            "and the kiln today.",
        ),
        "ceramics",
    ),
    (
        ("经纬之间：织物与材料实验展", "Between Warp and Weft: Textiles and Materials"),
        (
            "植物染、再生纤维与数字提花，织物设计师的材料实验室。",
            "Plant dyes, recycled fibres and digital jacquard: a materials lab of textile "
            "designers.",
        ),
        "textiles",
    ),
    (
        ("纸上城市：独立出版与印刷展", "Cities on Paper: Independent Publishing and Print"),
        (
            "独立出版物、版画与海报，记录城市的另一种面貌。",
            "Independent books, prints and posters that record another face of the city.",
        ),
        "prints",
    ),
    (
        ("透明的重量：玻璃设计展", "The Weight of Transparency: Glass Design"),
        (
            "吹制、窑铸与冷加工，玻璃在设计师手中的轻与重。",
            "Blown, kiln-cast and cold-worked: the lightness and weight of glass in "
            "designers' hands.",
        ),
        "glass",
    ),
)

SHOWS: tuple[tuple[Pair, Pair, str], ...] = (
    (
        ("开幕之夜：设计与音乐", "Opening Night: Design and Music"),
        (
            "设计周开幕演出，设计师与音乐人同台。",
            "The week opens with designers and musicians on one stage.",
        ),
        "lighting",
    ),
    (
        ("光之剧场", "Theatre of Light"),
        (
            "以灯光装置为主角的舞台作品。",
            "A stage work whose leading role is played by light installations.",
        ),
        "lighting",
    ),
    (
        (FULL_SHOW_ZH, "A City in the Wardrobe (Immersive Theatre)"),
        (
            "只有三十个座位的沉浸式戏剧，观众在一只巨大的衣柜里穿行。",
            "Immersive theatre for thirty: the audience walks through a giant wardrobe.",
        ),
        "textiles",
    ),
    (
        ("器物之舞", "Dance of Objects"),
        ("舞者与日常器物的即兴对话。", "Dancers improvise with everyday objects."),
        "ceramics",
    ),
    (
        ("声音的形状：实验音乐现场", "The Shape of Sound: Experimental Music Live"),
        (
            "用陶、木与玻璃制作的乐器演奏的音乐会。",
            "A concert on instruments made of clay, wood and glass.",
        ),
        "glass",
    ),
    (
        ("未来时装秀", "Future Fashion Show"),
        ("新锐设计师的可持续时装发布。", "Sustainable collections by young designers."),
        "bags",
    ),
    (
        ("木与铁：舞台装置演出", "Wood and Iron: A Stage Installation"),
        ("一座会移动的舞台装置与四位演员。", "A moving stage installation and four actors."),
        "furniture",
    ),
    (
        ("夜色里的城市：建筑影像放映", "The City by Night: Architecture on Film"),
        ("建筑短片放映与导演对谈。", "Short architecture films and a talk with their directors."),
        "prints",
    ),
    (
        ("纸的呼吸：纸偶剧场", "Breathing Paper: Paper Puppet Theatre"),
        ("适合全家观看的纸偶剧。", "Paper puppet theatre for the whole family."),
        "toys",
    ),
    (
        ("闭幕音乐会", "Closing Concert"),
        ("设计周闭幕音乐会。", "The design week's closing concert."),
        "fragrance",
    ),
)

TALK_TOPICS: tuple[Pair, ...] = (
    ("材料的温度", "The Warmth of Materials"),
    ("为日常而设计", "Designing for Everyday Life"),
    ("从工坊到工厂", "From Workshop to Factory"),
    ("可持续设计的真实成本", "The Real Cost of Sustainable Design"),
    ("传统工艺的当代转译", "Translating Traditional Craft Today"),
    ("小批量生产的经济学", "The Economics of Small-Batch Production"),
    ("设计师品牌的第一个五年", "The First Five Years of a Designer Brand"),
    ("光如何改变空间", "How Light Changes Space"),
    ("一把椅子的诞生", "The Birth of a Chair"),
    ("色彩与记忆", "Colour and Memory"),
    ("城市中的公共设计", "Public Design in the City"),
    ("数字制造与手工", "Digital Fabrication and the Hand"),
    ("包装之外", "Beyond Packaging"),
    ("为老龄社会设计", "Designing for an Ageing Society"),
    ("东方美学的现代表达", "A Modern Voice for Eastern Aesthetics"),
    ("器物与生活方式", "Objects and Ways of Living"),
    ("设计教育的下一步", "What Next for Design Education"),
    ("从展览到商店", "From Exhibition to Shop"),
    ("再生材料的可能", "What Recycled Materials Can Do"),
    ("儿童与玩具设计", "Children and Toy Design"),
    ("气味的设计", "Designing Scent"),
    ("首饰里的建筑", "Architecture in Jewellery"),
    ("字体与城市", "Type and the City"),
    ("手工玻璃的未来", "The Future of Hand-Blown Glass"),
    ("家具的修复与再生", "Repairing and Renewing Furniture"),
    ("设计如何定价", "How to Price Design"),
)

# What is made, and the category it belongs to (its pictures, its designers).
WORKSHOPS: tuple[tuple[Pair, str], ...] = (
    (("手捏陶杯", "Hand-Built Ceramic Cups"), "ceramics"),
    (("木勺雕刻", "Carving a Wooden Spoon"), "furniture"),
    (("植物染方巾", "Plant-Dyed Scarves"), "textiles"),
    (("凸版印刷明信片", "Letterpress Postcards"), "prints"),
    (("银戒指锻造", "Forging a Silver Ring"), "jewellery"),
    (("手工装订笔记本", "Hand-Bound Notebooks"), "stationery"),
    (("调制你的香水", "Blend Your Own Perfume"), "fragrance"),
    (("玻璃珠烧制", "Lampworked Glass Beads"), "glass"),
    (("皮革卡包", "Leather Card Holders"), "bags"),
    (("纸灯笼制作", "Paper Lantern Making"), "lighting"),
    (("藤编小篮", "Rattan Basket Weaving"), "furniture"),
    (("木作小凳", "Building a Small Stool"), "furniture"),
    (("丝网印刷帆布袋", "Screen-Printed Tote Bags"), "bags"),
    (("金缮修复", "Kintsugi Repair"), "ceramics"),
    (("手工蜡烛", "Hand-Poured Candles"), "fragrance"),
    (("毛毡小物", "Felted Small Objects"), "toys"),
    (("木质玩具", "Wooden Toys"), "toys"),
    (("铜版画体验", "Copperplate Etching"), "prints"),
    (("钩针杯垫", "Crochet Coasters"), "textiles"),
    (("书法与字体", "Calligraphy and Lettering"), "stationery"),
)

# Daily slots of each kind of hall: (start, minutes).
SLOTS: dict[str, tuple[tuple[time, int], ...]] = {
    "talks": ((time(10), 90), (time(14), 90), (time(16, 30), 90), (time(19, 30), 90)),
    "stage": ((time(15), 90), (time(19, 30), 120)),
    "small stage": ((time(14), 75), (time(19, 30), 75)),
    "workshop": ((time(10), 150), (time(14), 150), (time(19), 150)),
}
EXHIBITION_HOURS = (time(10), time(18))
LATE_OPENING_HOURS = 3  # on the day of building, exhibitions stay open this long after it
TALK_PRICES_YUAN = (30, 50, 60)
SHOW_PRICES_YUAN = (80, 120, 180, 220, 280, 380)
WORKSHOP_PRICES_YUAN = (180, 220, 260, 280, 320, 380, 480)
EXHIBITION_PRICES_YUAN = (0, 0, 0, 40, 50, 60)


# --- the plan -------------------------------------------------------------------------------


@dataclass
class SessionPlan:
    hall: int  # index into all halls
    starts_at: datetime
    minutes: int
    capacity: int
    price_fen: int
    per_user_limit: int
    cancel_hours: int  # free cancellation until this many hours before the start
    bookable_until_end: bool = False  # timed entry: bookable until the slot ends
    # Seats of seeded reservations: (visitor index, seats); NEWSELLER and BUYER: theirs.
    taken: list[tuple[int, int]] = field(default_factory=list)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)


@dataclass
class EventPlan:
    kind: str
    title: Pair
    description: Pair
    speakers: list[int]  # indexes into the designers
    cover: str  # storage name of a demo picture
    sessions: list[SessionPlan] = field(default_factory=list)


@dataclass
class ProgrammePlan:
    halls: list[tuple[int, str, str, int, str]]  # (venue index, zh, en, capacity, use)
    events: list[EventPlan]

    @property
    def sessions(self) -> list[SessionPlan]:
        return [s for e in self.events for s in e.sessions]


def _cover(rng: random.Random, category: str) -> str:
    return product_image_name(category, rng.randrange(POOL_PER_CATEGORY))


def _speakers_for(
    rng: random.Random, designers: Sequence[DesignerPlan], category: str | None, n: int
) -> list[int]:
    """``n`` designers, of the category's field when there are enough, renowned first."""
    pool = [i for i, d in enumerate(designers) if category is None or d.specialty.slug == category]
    if len(pool) < n:
        pool = list(range(len(designers)))
    renowned = [i for i in pool if designers[i].is_renowned]
    chosen = rng.sample(renowned, min(len(renowned), rng.randint(0, n)))
    rest = [i for i in pool if i not in chosen]
    chosen += rng.sample(rest, n - len(chosen))
    return chosen


class _Halls:
    """Free slots per hall, handed out without overlaps."""

    def __init__(self, halls, days: list[date], tz: tzinfo, rng: random.Random):
        self.rng = rng
        self.free: dict[int, list[tuple[datetime, int]]] = {}
        for index, (_venue, _zh, _en, _capacity, use) in enumerate(halls):
            if use in SLOTS:
                self.free[index] = [
                    (datetime.combine(day, start, tzinfo=tz), minutes)
                    for day in days
                    for start, minutes in SLOTS[use]
                ]

    def take(self, hall: int, *, not_before: datetime | None = None) -> tuple[datetime, int]:
        """A random free slot of ``hall``, starting at ``not_before`` or later when there is
        one."""
        slots = self.free[hall]
        fits = [n for n, (start, _m) in enumerate(slots) if not_before and start >= not_before]
        if fits:
            return slots.pop(fits[self.rng.randrange(len(fits))])
        return slots.pop(self.rng.randrange(len(slots)))


def _closing_hour(day: date, built_at: datetime | None, tz: tzinfo) -> int:
    """When the exhibitions close on ``day``: late on the day the demo is built."""
    closes = EXHIBITION_HOURS[1].hour
    if built_at is None:
        return closes
    local = built_at.astimezone(tz)
    if local.date() != day:
        return closes
    return max(closes, min(24, local.hour + LATE_OPENING_HOURS))


def plan_programme(
    *,
    seed: int,
    designers: Sequence[DesignerPlan],
    visitors: int,
    first_day: date,
    days: int,
    built_at: datetime | None = None,
) -> ProgrammePlan:
    """The programme of the week starting ``first_day``, with seeded reservations by
    ``visitors`` people (by index); on the day of ``built_at`` the exhibitions stay open
    late. Pure: the same arguments plan the same programme."""
    rng = random.Random(seed + SEED_OFFSET)
    tz = ZoneInfo(settings.TIME_ZONE)
    week = [first_day + timedelta(days=n) for n in range(days)]
    halls = [
        (v, zh, en, capacity, use)
        for v, (_name, _address, venue_halls) in enumerate(VENUES)
        for zh, en, capacity, use in venue_halls
    ]
    by_use: dict[str, list[int]] = {}
    for index, hall in enumerate(halls):
        by_use.setdefault(hall[4], []).append(index)
    free = _Halls(halls, week, tz, rng)
    events: list[EventPlan] = []

    # Exhibitions: a hall each for the week, hourly timed entry.
    prices = list(EXHIBITION_PRICES_YUAN)
    rng.shuffle(prices)
    for (title, description, category), hall, price in zip(
        EXHIBITIONS, by_use["exhibition"], prices, strict=True
    ):
        capacity = halls[hall][3] // 3
        event = EventPlan(
            EventKind.EXHIBITION,
            title,
            description,
            _speakers_for(rng, designers, category, rng.randint(3, 6)),
            _cover(rng, category),
        )
        opens = EXHIBITION_HOURS[0]
        for day in week:
            for hour in range(opens.hour, _closing_hour(day, built_at, tz)):
                event.sessions.append(
                    SessionPlan(
                        hall=hall,
                        starts_at=datetime.combine(day, time(hour), tzinfo=tz),
                        minutes=60,
                        capacity=capacity,
                        price_fen=price * 100,
                        per_user_limit=4,
                        cancel_hours=2,
                        bookable_until_end=True,
                    )
                )
        events.append(event)

    # Shows: on the stages, one to three times each; the small immersive one is free and full.
    for title, description, category in SHOWS:
        small = title[0] == FULL_SHOW_ZH
        event = EventPlan(
            EventKind.SHOW,
            title,
            description,
            _speakers_for(rng, designers, category, rng.randint(1, 3)),
            _cover(rng, category),
        )
        for _ in range(1 if small else rng.randint(1, 3)):
            hall = by_use["small stage"][0] if small else rng.choice(by_use["stage"])
            # The full show is still to come, its seats cancellable (until a day before).
            later = built_at + timedelta(days=2) if small and built_at else None
            starts_at, minutes = free.take(hall, not_before=later)
            event.sessions.append(
                SessionPlan(
                    hall=hall,
                    starts_at=starts_at,
                    minutes=minutes,
                    capacity=30 if small else halls[hall][3],
                    price_fen=0 if small else rng.choice(SHOW_PRICES_YUAN) * 100,
                    per_user_limit=2 if small else 4,
                    cancel_hours=24,
                )
            )
        events.append(event)

    # Lectures: one speaker (or a panel), mostly free, mostly once.
    for topic in TALK_TOPICS:
        panel = rng.random() < 0.2
        speakers = _speakers_for(rng, designers, None, 3 if panel else 1)
        lead = designers[speakers[0]]
        if panel:
            title = (f"圆桌：{topic[0]}", f"Panel: {topic[1]}")
            description = (
                f"{'、'.join(designers[i].name_zh for i in speakers)}围绕「{topic[0]}」展开对谈。",
                f"{', '.join(designers[i].name_en for i in speakers)} in conversation "
                f"on “{topic[1]}”.",
            )
        else:
            title = (f"{topic[0]}——{lead.name_zh}主讲", f"{topic[1]}: a talk by {lead.name_en}")
            description = (
                f"{lead.name_zh}结合自己的作品，分享关于「{topic[0]}」的思考与实践，"
                "并与现场观众交流。",
                f"{lead.name_en} draws on their own work to share thoughts and practice on "
                f"“{topic[1]}”, followed by questions from the audience.",
            )
        event = EventPlan(
            EventKind.LECTURE, title, description, speakers, _cover(rng, lead.specialty.slug)
        )
        priced = rng.random() < 0.3
        for _ in range(2 if rng.random() < 0.25 else 1):
            hall = rng.choice(by_use["talks"])
            starts_at, minutes = free.take(hall)
            event.sessions.append(
                SessionPlan(
                    hall=hall,
                    starts_at=starts_at,
                    minutes=minutes,
                    capacity=halls[hall][3],
                    price_fen=rng.choice(TALK_PRICES_YUAN) * 100 if priced else 0,
                    per_user_limit=2,
                    cancel_hours=2,
                )
            )
        events.append(event)

    # Workshops: small, priced, two to four sittings.
    for craft, category in WORKSHOPS:
        speakers = _speakers_for(rng, designers, category, 1)
        lead = designers[speakers[0]]
        event = EventPlan(
            EventKind.WORKSHOP,
            (f"{craft[0]}工作坊", f"{craft[1]} Workshop"),
            (
                f"跟随{lead.name_zh}动手完成一件作品：材料与工具由工作坊提供，作品可以带走。",
                f"Make one yourself with {lead.name_en}: materials and tools are provided, "
                "and you take your piece home.",
            ),
            speakers,
            _cover(rng, category),
        )
        price = rng.choice(WORKSHOP_PRICES_YUAN) * 100
        for _ in range(rng.randint(2, 4)):
            hall = rng.choice(by_use["workshop"])
            starts_at, minutes = free.take(hall)
            event.sessions.append(
                SessionPlan(
                    hall=hall,
                    starts_at=starts_at,
                    minutes=minutes,
                    capacity=min(halls[hall][3], rng.choice((12, 16, 20, 24))),
                    price_fen=price,
                    per_user_limit=2,
                    cancel_hours=24,
                )
            )
        events.append(event)

    programme = ProgrammePlan(halls=halls, events=events)
    _plan_reservations(rng, programme, visitors)
    if built_at is not None:
        _plan_buyer_tickets(programme, built_at)
    return programme


def _fill(rng: random.Random, session: SessionPlan, seats: int, visitors: list[int]) -> None:
    """Seeded reservations of ``seats`` seats in all, one or two each, by ``visitors``."""
    order = iter(visitors)
    while seats > 0:
        n = min(seats, rng.randint(1, session.per_user_limit))
        session.taken.append((next(order), n))
        seats -= n


def _plan_reservations(rng: random.Random, programme: ProgrammePlan, visitors: int) -> None:
    """Some free sessions nearly full (1 to 3 seats left), the small show full."""
    people = list(range(visitors))
    for event in programme.events:
        if event.title[0] == FULL_SHOW_ZH:
            show = event.sessions[0]
            show.taken.append((NEWSELLER, 2))  # the newseller demo account's two seats
            rng.shuffle(people)
            _fill(rng, show, show.capacity - 2, people)
    candidates = [
        s
        for s in programme.sessions
        if s.price_fen == 0 and not s.taken and s.capacity <= min(visitors, 200)
    ]
    for session in rng.sample(candidates, min(len(candidates), 30)):
        rng.shuffle(people)
        _fill(rng, session, session.capacity - rng.randint(1, 3), people)


def _plan_buyer_tickets(programme: ProgrammePlan, built_at: datetime) -> None:
    """The buyer demo account's free tickets: the next session to start (its doors open
    or about to), one on a day to come, and one of a session already over."""
    free = [s for s in programme.sessions if s.price_fen == 0]

    def has_room(session: SessionPlan, seats: int) -> bool:
        return session.capacity - sum(n for _who, n in session.taken) >= seats

    soon = sorted((s for s in free if s.starts_at > built_at), key=lambda s: s.starts_at)
    later = [s for s in soon if s.starts_at > built_at + timedelta(days=1)]
    past = sorted((s for s in free if s.ends_at < built_at), key=lambda s: s.starts_at)
    for choices, seats in ((soon, 2), (later[len(later) // 2 :], 1), (past[::-1], 1)):
        session = next((s for s in choices if has_room(s, seats)), None)
        if session is not None:
            session.taken.append((BUYER, seats))


# --- writing it -----------------------------------------------------------------------------


def programme_write(
    *,
    plan: Plan,
    designers: list[Designer],
    users: dict[str, User],
    now: datetime,
    week: WeekDates,
) -> dict[str, int]:
    """Write the programme planned from ``plan`` (its seed and designers) for the design
    ``week``, built at ``now``; ``designers`` and ``users`` are the rows just written.
    Returns the rows written per kind."""
    demo_emails = {a.email for a in DEMO_ACCOUNTS}
    visitors = [u for email, u in users.items() if email not in demo_emails]
    first_day = week.starts_on
    programme = plan_programme(
        seed=plan.seed,
        designers=plan.designers,
        visitors=len(visitors),
        first_day=first_day,
        days=week.days,
        built_at=now,
    )
    tz = ZoneInfo(settings.TIME_ZONE)
    opens_at = datetime.combine(first_day - timedelta(days=14), time(10), tzinfo=tz)

    venues = Venue.objects.bulk_create(
        Venue(name_zh=n[0], name_en=n[1], address_zh=a[0], address_en=a[1], position=i)
        for i, (n, a, _halls) in enumerate(VENUES, start=1)
    )
    halls = Hall.objects.bulk_create(
        Hall(venue=venues[v], name_zh=zh, name_en=en, capacity=capacity)
        for v, zh, en, capacity, _use in programme.halls
    )
    created = min(now, opens_at) - timedelta(days=7)
    events = Event.objects.bulk_create(
        Event(
            kind=e.kind,
            title_zh=e.title[0],
            title_en=e.title[1],
            description_zh=e.description[0],
            description_en=e.description[1],
            cover=e.cover,
            status=EventStatus.PUBLISHED,
            created_at=created,
            published_at=created + timedelta(days=1),
        )
        for e in programme.events
    )
    Event.speakers.through.objects.bulk_create(
        Event.speakers.through(event_id=event.pk, designer_id=designers[i].pk)
        for event, e in zip(events, programme.events, strict=True)
        for i in e.speakers
    )
    planned = [
        (event, s) for event, e in zip(events, programme.events, strict=True) for s in e.sessions
    ]
    sessions = Session.objects.bulk_create(
        [
            Session(
                event=event,
                hall=halls[s.hall],
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                capacity=s.capacity,
                price_fen=s.price_fen,
                reservation_opens_at=min(opens_at, s.starts_at - timedelta(hours=1)),
                reservation_closes_at=s.ends_at if s.bookable_until_end else s.starts_at,
                per_user_limit=s.per_user_limit,
                cancel_until=s.starts_at - timedelta(hours=s.cancel_hours),
                confirmed=sum(n for _who, n in s.taken),
            )
            for event, s in planned
        ],
        batch_size=BATCH_SIZE,
    )
    reservations = []
    for session, (_event, s) in zip(sessions, planned, strict=True):
        for k, (who, seats) in enumerate(s.taken):
            demo = {NEWSELLER: NEWSELLER_EMAIL, BUYER: BUYER_EMAIL}
            user = users[demo[who]] if who in demo else visitors[who]
            at = min(now, session.reservation_opens_at + timedelta(minutes=3 + 7 * k))
            reservations.append(
                Reservation(
                    session=session,
                    user=user,
                    seats=seats,
                    unit_price_fen=0,
                    amount_fen=0,
                    status=ReservationStatus.CONFIRMED,
                    created_at=at,
                    confirmed_at=at,
                )
            )
    reservations = Reservation.objects.bulk_create(reservations, batch_size=BATCH_SIZE)
    tickets = Ticket.objects.bulk_create(
        (
            Ticket(
                reservation=r,
                session_id=r.session_id,
                user_id=r.user_id,
                seat_no=seat,
                issued_at=r.confirmed_at,
            )
            for r in reservations
            for seat in range(1, r.seats + 1)
        ),
        batch_size=BATCH_SIZE,
    )
    lists = _checkin_lists_write(
        venues=venues, halls=halls, sessions=sessions, staff=users[STAFF_EMAIL], tz=tz, now=now
    )
    return {
        "venues": len(venues),
        "halls": len(halls),
        "events": len(events),
        "sessions": len(sessions),
        "reservations": len(reservations),
        "tickets": len(tickets),
        "checkin_lists": lists,
    }


def _checkin_lists_write(
    *,
    venues: list[Venue],
    halls: list[Hall],
    sessions: list[Session],
    staff: User,
    tz: tzinfo,
    now: datetime,
) -> int:
    """One check-in list per venue and day (its main gate: every session there that day),
    with the staff demo account assigned, so the scanner page has work at once."""
    venue_of_hall = {hall.pk: hall.venue_id for hall in halls}
    by_gate: dict[tuple[int, date], list[Session]] = {}
    for session in sessions:
        day = session.starts_at.astimezone(tz).date()
        by_gate.setdefault((venue_of_hall[session.hall_id], day), []).append(session)
    names = {venue.pk: venue.name_zh for venue in venues}
    names_en = {venue.pk: venue.name_en for venue in venues}
    keys = sorted(by_gate, key=lambda key: (key[1], key[0]))
    lists = CheckinList.objects.bulk_create(
        CheckinList(
            name_zh=f"{names[venue]} {day:%m-%d}",
            name_en=f"{names_en[venue]} {day:%m-%d}" if names_en[venue] else "",
            gate=f"{names[venue]} 主入口",
            allow_reentry=True,
            created_at=now,
        )
        for venue, day in keys
    )
    CheckinList.sessions.through.objects.bulk_create(
        CheckinList.sessions.through(checkinlist_id=checkin_list.pk, session_id=session.pk)
        for checkin_list, key in zip(lists, keys, strict=True)
        for session in by_gate[key]
    )
    CheckinList.staff.through.objects.bulk_create(
        CheckinList.staff.through(checkinlist_id=checkin_list.pk, user_id=staff.pk)
        for checkin_list in lists
    )
    return len(lists)


def programme_wipe() -> None:
    """Delete the programme and everything booked for it (keys stay: they are the week's).

    Raises ``ProtectedError`` when a reservation was paid for: that money is on record.
    """
    from designmall.events.models import Notification, WaitlistEntry

    paid = list(Reservation.objects.filter(payment__isnull=False)[:1])
    if paid:
        raise ProtectedError("reservations have payments", set(paid))
    Notification.objects.all().delete()
    CheckIn.objects.all().delete()
    Scan.objects.all().delete()
    ScannerDevice.objects.all().delete()
    CheckinList.objects.all().delete()
    Ticket.objects.all().delete()
    WaitlistEntry.objects.all().delete()
    Reservation.objects.all().delete()
    Session.objects.all().delete()
    Event.speakers.through.objects.all().delete()
    Event.objects.all().delete()
    Hall.objects.all().delete()
    Venue.objects.all().delete()
