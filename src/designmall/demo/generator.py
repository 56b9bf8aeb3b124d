"""The demo design week, planned in plain Python (no Django, no database).

Everything is drawn from one ``random.Random(seed)`` in a fixed order, so the
same seed always plans the same designers, shops, titles, prices and stock.
Products are planned lazily (``iter_products``) so a catalog of 100,000 never
sits in memory at once. Times are offsets in minutes before "now", which the
writer supplies. Statuses are the catalog's status values as plain strings.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from designmall.accounts.roles import STAFF_ROLES, Role
from designmall.demo import coherence, data
from designmall.demo.accounts import DEMO_ACCOUNTS, DEMO_EMAIL_DOMAIN, SELLER_EMAIL, SUPERUSER
from designmall.demo.data import Pair
from designmall.demo.images import (
    POOL_PER_CATEGORY,
    PORTRAIT_COLOURS,
    portrait_name,
    product_image_name,
)

DEFAULT_SEED = 2026
DEFAULT_PRODUCTS = 3000
DESIGNER_COUNT = 340
SHOP_COUNT = 320
RENOWNED_COUNT = 36
PENDING_SHOPS = 8
REJECTED_SHOPS = 2
SUSPENDED_SHOPS = 1
SELLER_SHOP_MAX_PRODUCTS = 30

LIVE, PENDING_REVIEW, DRAFT, DELISTED = "live", "pending_review", "draft", "delisted"
APPROVED, PENDING, REJECTED, SUSPENDED = "approved", "pending", "rejected", "suspended"
MINUTES_PER_DAY = 24 * 60

# The demo seller's first products, always planned, so searches for
# 实木椅子 / 休闲椅子 / "Lounge Chair" find something and the seller has
# products in every state: (leaf, material zh, noun zh, status).
SELLER_ANCHORS: tuple[tuple[str, str, str, str], ...] = (
    ("chairs", "胡桃木", "休闲椅子", LIVE),
    ("chairs", "实木", "椅子", LIVE),
    ("chairs", "白蜡木", "休闲椅子", LIVE),
    ("tables", "实木", "餐桌", PENDING_REVIEW),
    ("tables", "橡木", "边几", PENDING_REVIEW),
    ("storage", "胡桃木", "书架", DRAFT),
    ("stools", "樱桃木", "凳子", DELISTED),
)


@dataclass
class DesignerPlan:
    name_zh: str
    name_en: str
    bio_zh: str
    bio_en: str
    country: str
    city: Pair
    specialty: data.Top
    is_renowned: bool
    portrait: str  # storage name
    initials: str
    portrait_colour: int
    age_minutes: int


@dataclass
class ShopPlan:
    code: str
    owner_email: str
    owner_name: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    country: str
    city: Pair
    status: str
    reason: str
    commission_bp: int
    designer: int | None  # index into the designers
    roster: list[int]  # designers whose products the shop sells
    specialty: data.Top
    age_minutes: int
    weight: float  # share of the products it gets


@dataclass
class SkuPlan:
    code: str
    attributes: dict[str, str]
    price_fen: int
    stock: int
    is_active: bool = True


@dataclass
class ProductPlan:
    number: int
    shop: int
    designer: int | None
    category: str  # leaf slug
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    origin: str
    country: str
    status: str
    moderation_note: str
    skus: list[SkuPlan]
    images: list[str]
    age_minutes: int
    published_after_minutes: int | None  # after creation; None: never published

    @property
    def price_min_fen(self) -> int:
        return min(s.price_fen for s in self.skus if s.is_active)

    @property
    def in_stock(self) -> bool:
        return any(s.stock > 0 for s in self.skus if s.is_active)


@dataclass
class UserPlan:
    email: str
    display_name: str
    roles: list[str]  # Role values
    is_staff: bool = False
    is_superuser: bool = False


@dataclass
class Plan:
    seed: int
    products: int
    designers: list[DesignerPlan] = field(default_factory=list)
    shops: list[ShopPlan] = field(default_factory=list)
    users: list[UserPlan] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random, repr=False)


# --- helpers ------------------------------------------------------------------------

COUNTRIES = {c.code: c for c in data.COUNTRIES}
_COUNTRY_WEIGHTS = list(accumulate(c.weight for c in data.COUNTRIES))
_INTL_COUNTRIES = [c for c in data.COUNTRIES if c.code != "CN"]
_INTL_WEIGHTS = list(accumulate(c.weight for c in _INTL_COUNTRIES))
LEAVES: dict[str, tuple[data.Top, data.Leaf]] = {
    leaf.slug: (top, leaf) for top in data.CATEGORIES for leaf in top.children
}
_TOP_WEIGHTS = list(accumulate(sum(leaf.weight for leaf in t.children) for t in data.CATEGORIES))
_LEAF_WEIGHTS_BY_TOP = {
    top.slug: list(accumulate(leaf.weight for leaf in top.children)) for top in data.CATEGORIES
}
# Adjectives of origin and the like keep their capital in running English text.
_PROPER = {"Ru-Ware", "Zisha", "Kohiki", "Tenmoku", "Liuli", "Shell", "Cordovan"}


def _common(en: str) -> str:
    """A title-case material as it reads mid-sentence: "Solid Wood" → "solid wood"."""
    return " ".join(
        w.lower() if w.isalpha() and w[:1].isupper() and w not in _PROPER else w for w in en.split()
    )


def _pinyin_join(syllables: list[str]) -> str:
    """Join pinyin syllables into a name, with the apostrophe before a vowel: Jia'an."""
    out = syllables[0]
    for syllable in syllables[1:]:
        out += ("'" if syllable[0] in "aoe" else "") + syllable
    return out.capitalize()


def _initials(name_en: str) -> str:
    words = [w for w in name_en.replace("-", " ").split() if w]
    letters = [words[0][0], words[-1][0]] if len(words) > 1 else [words[0][0]]
    plain = unicodedata.normalize("NFKD", "".join(letters)).encode("ascii", "ignore").decode()
    return plain.upper() or "DM"


def nice_yuan(yuan: float) -> int:
    """A shop price near ``yuan``: 88, 268, 1,280, 12,800."""
    if yuan < 100:
        return max(8, int(yuan) // 10 * 10 + 8)
    if yuan < 1000:
        return int(yuan) // 10 * 10 + 8
    if yuan < 10_000:
        return round(yuan / 100) * 100 - 20
    return round(yuan / 1000) * 1000 - 200


def _pick(rng: random.Random, items, cum_weights):
    return rng.choices(items, cum_weights=cum_weights)[0]


# --- people and shops ------------------------------------------------------------------


def _person_name(rng: random.Random, country: data.Country) -> tuple[str, str]:
    if country.names == "cn":
        surname = rng.choice(data.CN_SURNAMES)
        given = rng.sample(data.CN_GIVEN, 2 if rng.random() < 0.75 else 1)
        zh = surname[0] + "".join(g[0] for g in given)
        return zh, f"{surname[1]} {_pinyin_join([g[1] for g in given])}"
    if country.names in ("jp", "kr"):
        surnames, givens = (
            (data.JP_SURNAMES, data.JP_GIVEN)
            if country.names == "jp"
            else (data.KR_SURNAMES, data.KR_GIVEN)
        )
        surname, given = rng.choice(surnames), rng.choice(givens)
        return surname[0] + given[0], f"{given[1]} {surname[1]}"
    givens, families = data.WESTERN_NAMES[country.names]
    given, family = rng.choice(givens), rng.choice(families)
    return f"{given[0]}·{family[0]}", f"{given[1]} {family[1]}"


def _school(rng: random.Random, country: data.Country) -> Pair:
    group = country.names if country.names in data.SCHOOLS else "intl"
    return rng.choice(data.SCHOOLS[group])


def _designer(
    rng: random.Random, *, name: tuple[str, str], country: data.Country, city: Pair, top: data.Top
) -> DesignerPlan:
    name_zh, name_en = name
    decade = rng.choice((1960, 1970, 1980, 1980, 1990, 1990))
    school, fair = _school(rng, country), rng.choice(data.FAIRS)
    bio_zh = (
        f"{name_zh}，{decade} 年代生于{city[0]}，毕业于{school[0]}，{top.focus[0]}。"
        f"作品曾在{fair[0]}展出。"
    )
    bio_en = (
        f"Born in {city[1]} in the {decade}s, {name_en} studied at {school[1]} and "
        f"{top.focus[1]}. Work shown at {fair[1]}."
    )
    initials = _initials(name_en)
    colour = rng.randrange(len(PORTRAIT_COLOURS))
    return DesignerPlan(
        name_zh=name_zh,
        name_en=name_en,
        bio_zh=bio_zh,
        bio_en=bio_en,
        country=country.code,
        city=city,
        specialty=top,
        is_renowned=False,
        portrait=portrait_name(initials, colour),
        initials=initials,
        portrait_colour=colour,
        age_minutes=rng.randint(60, 400) * MINUTES_PER_DAY + rng.randrange(MINUTES_PER_DAY),
    )


def _plan_designers(rng: random.Random) -> list[DesignerPlan]:
    cn = COUNTRIES["CN"]
    furniture = data.CATEGORIES[0]
    designers = [
        # The demo seller's own designer comes first.
        _designer(
            rng, name=("林晓禾", "Lin Xiaohe"), country=cn, city=("杭州", "Hangzhou"), top=furniture
        )
    ]
    seen = {designers[0].name_zh}
    while len(designers) < DESIGNER_COUNT:
        country = _pick(rng, data.COUNTRIES, _COUNTRY_WEIGHTS)
        name = _person_name(rng, country)
        if name[0] in seen:
            continue
        seen.add(name[0])
        top = _pick(rng, data.CATEGORIES, _TOP_WEIGHTS)
        designers.append(
            _designer(rng, name=name, country=country, city=rng.choice(country.cities), top=top)
        )
    for index in rng.sample(range(1, DESIGNER_COUNT), RENOWNED_COUNT):
        designer = designers[index]
        honour = rng.choice(data.HONOURS)
        designer.is_renowned = True
        designer.bio_zh += honour[0]
        designer.bio_en += " " + honour[1]
    return designers


def _shop_texts(
    rng: random.Random, *, name: Pair, city: Pair, top: data.Top, studio: bool
) -> tuple[str, str]:
    hall = rng.choice(data.HALLS)
    booth = rng.randint(1, 60)
    kind = ("工作室", "studio") if studio else ("品牌", "brand")
    zh = (
        f"{name[0]}是一家位于{city[0]}的设计{kind[0]}，{top.focus[0]}。"
        f"设计周期间，欢迎到现场展位（{hall[0]} {booth} 号）看看实物。"
    )
    en = (
        f"{name[1]} is a design {kind[1]} based in {city[1]} that {top.focus[1]}. "
        f"During the design week, see the pieces in person at {hall[1]}, booth {booth}."
    )
    return zh, en


def _plan_shops(rng: random.Random, designers: list[DesignerPlan]) -> list[ShopPlan]:
    seller_designer = designers[0]
    name = ("山野木作", "Shanye Woodworks")
    zh, en = _shop_texts(
        rng, name=name, city=seller_designer.city, top=seller_designer.specialty, studio=True
    )
    shops = [
        ShopPlan(
            code="DM000",
            owner_email=SELLER_EMAIL,
            owner_name=seller_designer.name_zh,
            name_zh=name[0],
            name_en=name[1],
            description_zh=zh,
            description_en=en,
            country="CN",
            city=seller_designer.city,
            status=APPROVED,
            reason="",
            commission_bp=800,
            designer=0,
            roster=[0],
            specialty=seller_designer.specialty,
            age_minutes=300 * MINUTES_PER_DAY,
            weight=0.0,  # its products are planned apart
        )
    ]
    names = {name[0]}
    free_designers = list(range(1, DESIGNER_COUNT))
    rng.shuffle(free_designers)
    while len(shops) < SHOP_COUNT:
        index = len(shops)
        if rng.random() < 0.6 and free_designers:
            d = free_designers.pop()
            designer = designers[d]
            suffix = rng.choice((("工作室", "Studio"), designer.specialty.studio_suffix))
            name = (designer.name_zh + suffix[0], f"{designer.name_en} {suffix[1]}")
            country, city, top = COUNTRIES[designer.country], designer.city, designer.specialty
            roster, owner_name, studio = [d], designer.name_zh, True
        else:
            domestic = rng.random() < 0.55
            country = COUNTRIES["CN"] if domestic else _pick(rng, _INTL_COUNTRIES, _INTL_WEIGHTS)
            word = rng.choice(data.CN_BRAND_WORDS if domestic else data.INTL_BRAND_WORDS)
            suffix = rng.choice(data.BRAND_SUFFIXES)
            name = (word[0] + suffix[0], f"{word[1]} {suffix[1]}")
            city, top = rng.choice(country.cities), _pick(rng, data.CATEGORIES, _TOP_WEIGHTS)
            d, studio, owner_name = None, False, name[0]
            # A brand sells the work of designers of its own field.
            same = [i for i in range(1, DESIGNER_COUNT) if designers[i].specialty is top]
            same = same if len(same) >= 5 else list(range(1, DESIGNER_COUNT))
            roster = rng.sample(same, rng.randint(2, 5))
        if name[0] in names:
            if d is not None:
                free_designers.append(d)
            continue
        names.add(name[0])
        zh, en = _shop_texts(rng, name=name, city=city, top=top, studio=studio)
        renowned = d is not None and designers[d].is_renowned
        shops.append(
            ShopPlan(
                code=f"DM{index:03d}",
                owner_email=f"shop{index:03d}@{DEMO_EMAIL_DOMAIN}",
                owner_name=owner_name,
                name_zh=name[0],
                name_en=name[1],
                description_zh=zh,
                description_en=en,
                country=country.code,
                city=city,
                status=APPROVED,
                reason="",
                commission_bp=600 if renowned else rng.choice((800, 800, 800, 1000)),
                designer=d,
                roster=roster,
                specialty=top,
                age_minutes=rng.randint(30, 360) * MINUTES_PER_DAY + rng.randrange(MINUTES_PER_DAY),
                weight=rng.uniform(0.5, 2.0) * (2.5 if renowned else 1.0),
            )
        )
    special = rng.sample(range(1, SHOP_COUNT), PENDING_SHOPS + REJECTED_SHOPS + SUSPENDED_SHOPS)
    for n, index in enumerate(special):
        shop = shops[index]
        if n < PENDING_SHOPS:
            shop.status, shop.weight = PENDING, 0.0
            shop.age_minutes = rng.randint(1, 10) * MINUTES_PER_DAY + rng.randrange(MINUTES_PER_DAY)
        elif n < PENDING_SHOPS + REJECTED_SHOPS:
            shop.status, shop.weight = REJECTED, 0.0
            shop.reason = data.SHOP_REJECT_REASONS[n - PENDING_SHOPS]
        else:
            shop.status, shop.reason = SUSPENDED, data.SHOP_SUSPEND_REASON
    return shops


def _plan_users(shops: list[ShopPlan]) -> list[UserPlan]:
    users = []
    for account in DEMO_ACCOUNTS:
        superuser = account.role == SUPERUSER
        users.append(
            UserPlan(
                email=account.email,
                display_name=account.display_name,
                roles=[] if superuser else [str(account.role)],
                is_staff=superuser or account.role in STAFF_ROLES,
                is_superuser=superuser,
            )
        )
    for shop in shops[1:]:
        # Owners of open (or suspended) shops are sellers; applicants are still buyers.
        open_or_suspended = shop.status in (APPROVED, SUSPENDED)
        roles = [Role.BUYER, Role.SELLER] if open_or_suspended else [Role.BUYER]
        users.append(UserPlan(email=shop.owner_email, display_name=shop.owner_name, roles=roles))
    return users


def build_plan(*, seed: int = DEFAULT_SEED, products: int = DEFAULT_PRODUCTS) -> Plan:
    """Plan the people and shops; ``iter_products(plan)`` then plans the products."""
    if products < 1:
        raise ValueError("a catalog needs at least one product")
    rng = random.Random(seed)
    designers = _plan_designers(rng)
    shops = _plan_shops(rng, designers)
    return Plan(
        seed=seed,
        products=products,
        designers=designers,
        shops=shops,
        users=_plan_users(shops),
        rng=rng,
    )


# --- products ---------------------------------------------------------------------------


def _sizes(rng: random.Random, leaf: data.Leaf) -> tuple[int, int, int]:
    return tuple(rng.randint(lo, hi) for lo, hi in leaf.size_cm)  # type: ignore[return-value]


# Stock of a SKU: sold out, a last few, some, plenty.
_STOCK_RANGES = ((0, 0), (1, 5), (6, 50), (51, 300))
_STOCK_WEIGHTS = list(accumulate((6, 15, 50, 29)))


def _skus(
    rng: random.Random, *, leaf: data.Leaf, base_yuan: float, code: str, renowned: bool
) -> list[SkuPlan]:
    axis = rng.choice(leaf.axes)
    count = min(rng.choices((1, 2, 3, 4), weights=(30, 32, 24, 14))[0], len(axis.values))
    chosen = sorted(rng.sample(range(len(axis.values)), count))
    skus = []
    for n, value_index in enumerate(chosen):
        yuan = base_yuan * (100 + axis.step_pct * value_index) / 100
        if renowned:
            stock = rng.choice((0, 1, 2, 3, 5, 8, 12))
        else:
            low, high = rng.choices(_STOCK_RANGES, cum_weights=_STOCK_WEIGHTS)[0]
            stock = rng.randint(low, high)
        skus.append(
            SkuPlan(
                code=f"{code}-{n + 1}",
                attributes={axis.name: axis.values[value_index]},
                price_fen=nice_yuan(yuan) * 100,
                stock=stock,
            )
        )
    if len(skus) > 1 and rng.random() < 0.05:
        skus[-1].is_active = False  # a variant the seller stopped selling
    return skus


def _title(
    rng: random.Random, leaf: data.Leaf, material: Pair | None, noun: Pair, *, series: bool
) -> Pair:
    if leaf.kind == "work":
        work = rng.choice(data.WORK_TITLES)
        return f"{noun[0]}《{work[0]}》", f"“{work[1]}” {noun[1]}"
    assert material is not None
    if series and rng.random() < 0.45:
        name = rng.choice(data.SERIES)
        return f"{name[0]}系列{material[0]}{noun[0]}", f"{name[1]} {material[1]} {noun[1]}"
    return material[0] + noun[0], f"{material[1]} {noun[1]}"


def _description(
    rng: random.Random,
    *,
    top: data.Top,
    leaf: data.Leaf,
    title: Pair,
    material: Pair | None,
    noun: str,
    designer: DesignerPlan | None,
    shop: ShopPlan,
) -> Pair:
    m_zh, m_en = (material[0], _common(material[1])) if material else ("", "")
    if designer is not None:
        intro = (
            f"{title[0]}由{designer.name_zh}设计，{shop.name_zh}出品。",
            f"The {title[1]} is designed by {designer.name_en} and made by {shop.name_en}.",
        )
    else:
        intro = (f"{title[0]}由{shop.name_zh}出品。", f"The {title[1]} is made by {shop.name_en}.")
    # Only the lines that fit this product: its leaf, material and noun (coherence).
    fits = coherence.Product(leaf=leaf.slug, material=material[0] if material else "", noun=noun)
    craft_lines = coherence.fitting(top.crafts, fits)
    crafts = rng.sample(craft_lines, min(len(craft_lines), 2 if rng.random() < 0.5 else 1))
    uses, cares = coherence.fitting(top.uses, fits), coherence.fitting(top.cares, fits)
    use = rng.choice(uses) if uses else ("", "")
    care = rng.choice(cares) if cares else ("", "")
    w, d, h = _sizes(rng, leaf)
    country = COUNTRIES[shop.country]
    zh = (
        intro[0]
        + "".join(c[0].format(m=m_zh) for c in crafts)
        + use[0]
        + f"\n\n尺寸：约 {w} × {d} × {h} cm\n产地：{country.name[0]}{shop.city[0]}\n\n{care[0]}"
    )
    en = (
        " ".join(t for t in [intro[1], *(c[1].format(m=m_en) for c in crafts), use[1]] if t)
        + f"\n\nSize: approx. {w} × {d} × {h} cm\n"
        + f"Made in {shop.city[1]}, {country.name[1]}\n\n{care[1]}"
    )
    return zh.rstrip(), en.rstrip()


def _product(
    plan: Plan,
    *,
    number: int,
    shop_index: int,
    leaf_slug: str,
    material: Pair | None = None,
    noun: Pair | None = None,
    status: str | None = None,
) -> ProductPlan:
    rng = plan.rng
    top, leaf = LEAVES[leaf_slug]
    shop = plan.shops[shop_index]
    designer_index = shop.designer if shop.designer is not None else rng.choice(shop.roster)
    designer = plan.designers[designer_index]
    anchored = noun is not None
    noun = noun or rng.choice(leaf.nouns)
    if leaf.kind != "work":
        material = material or rng.choice(leaf.materials)
    # Titles given by the caller (the seller's anchors) stay plain: 实木椅子 / Solid Wood Chair.
    title = _title(rng, leaf, material, noun, series=not anchored)
    if status is None:
        r = rng.random()
        status = (
            LIVE if r < 0.92 else PENDING_REVIEW if r < 0.95 else DRAFT if r < 0.975 else DELISTED
        )
    note = ""
    if status == DRAFT and rng.random() < 0.5:
        note = rng.choice(data.PRODUCT_REJECT_NOTES)
    elif status == DELISTED:
        note = rng.choice(data.PRODUCT_DELIST_NOTES)
    lo, hi = leaf.price_yuan
    base = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    if designer.is_renowned:
        base *= rng.uniform(1.5, 2.6)
    skus = _skus(
        rng,
        leaf=leaf,
        base_yuan=base,
        code=f"{shop.code}-{number:06d}",
        renowned=designer.is_renowned,
    )
    image_count = rng.choices((1, 2, 3), weights=(35, 40, 25))[0]
    images = [
        product_image_name(top.slug, i) for i in rng.sample(range(POOL_PER_CATEGORY), image_count)
    ]
    description = _description(
        rng,
        top=top,
        leaf=leaf,
        title=title,
        material=material,
        noun=noun[0],
        designer=designer,
        shop=shop,
    )
    age = min(
        rng.randint(1, 180) * MINUTES_PER_DAY + rng.randrange(MINUTES_PER_DAY), shop.age_minutes
    )
    published_after = None
    if status in (LIVE, DELISTED):
        published_after = min(rng.randint(30, 3 * MINUTES_PER_DAY), age)
    return ProductPlan(
        number=number,
        shop=shop_index,
        designer=designer_index,
        category=leaf.slug,
        title_zh=title[0],
        title_en=title[1],
        description_zh=description[0],
        description_en=description[1],
        origin="domestic" if shop.country == "CN" else "international",
        country=shop.country,
        status=status,
        moderation_note=note,
        skus=skus,
        images=images,
        age_minutes=age,
        published_after_minutes=published_after,
    )


def _pair_by_zh(pairs: tuple[Pair, ...], zh: str) -> Pair:
    return next(p for p in pairs if p[0] == zh)


def iter_products(plan: Plan) -> Iterator[ProductPlan]:
    """Plan ``plan.products`` products, the demo seller's first.

    Call once per plan: it draws from the plan's random stream.
    """
    rng = plan.rng
    total = plan.products
    seller_count = min(total, max(len(SELLER_ANCHORS), min(SELLER_SHOP_MAX_PRODUCTS, total // 100)))
    number = 0
    for leaf_slug, material_zh, noun_zh, status in SELLER_ANCHORS[:seller_count]:
        _top, leaf = LEAVES[leaf_slug]
        number += 1
        yield _product(
            plan,
            number=number,
            shop_index=0,
            leaf_slug=leaf_slug,
            material=_pair_by_zh(leaf.materials, material_zh),
            noun=_pair_by_zh(leaf.nouns, noun_zh),
            status=status,
        )
    furniture = data.CATEGORIES[0]
    while number < seller_count:
        number += 1
        leaf = _pick(rng, furniture.children, _LEAF_WEIGHTS_BY_TOP[furniture.slug])
        yield _product(plan, number=number, shop_index=0, leaf_slug=leaf.slug)
    shop_indexes = [i for i, s in enumerate(plan.shops) if s.weight > 0]
    shop_weights = list(accumulate(plan.shops[i].weight for i in shop_indexes))
    while number < total:
        number += 1
        shop_index = _pick(rng, shop_indexes, shop_weights)
        # A shop sells its own kind of work ("More from this shop" shows more of it).
        top = plan.shops[shop_index].specialty
        leaf = _pick(rng, top.children, _LEAF_WEIGHTS_BY_TOP[top.slug])
        yield _product(plan, number=number, shop_index=shop_index, leaf_slug=leaf.slug)
