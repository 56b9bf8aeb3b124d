"""Coupon arithmetic. Pure: no Django, no clock, no I/O. Money is integer fen.

The Django side turns coupon templates and a buyer's cart into the values below and asks
this module what each coupon is worth, how its discount splits over the lines, which
combination saves most, and what a refund of part of a line gives back.

Rules
-----
- **Kinds.** 满减 (``spend_off``): when the amount the coupon covers reaches ``threshold``,
  ``off`` fen off (``off`` below ``threshold``). 立减 (``amount_off``): ``off`` fen off, at
  most the amount covered (an optional ``threshold`` is a minimum spend, as for every
  kind). 折扣 (``percent_off``): ``percent`` % off the amount covered (1..99), rounded down
  to the fen (never more than the percentage), at most ``cap`` fen.
- **What a coupon covers.** A shop coupon covers lines of its own shop only; within that,
  and for a platform coupon, its scope decides: everything, one shop, lines whose product
  is in one of the categories (a line carries its category and the category's ancestors),
  or lines of the listed products.
- **Thresholds** are checked on the pre-discount amount of the lines the coupon covers,
  whatever other coupons do to those lines. A coupon that covers nothing, or whose
  threshold is not met, is not applicable (``CouponRefused`` with a stable code).
- **Combinations.** At most one platform coupon per checkout and at most one shop coupon
  per shop; the same coupon once. Shop coupons apply first, each within its shop; the
  platform coupon applies to what the lines cost after them.
- **One fen per order.** An order is the lines of one shop. Its total never goes below
  ¥0.01: one fen of every order stays on its dearest line (the first at a tie), and no
  coupon takes it. A coupon's discount is its nominal discount (by its kind, from the
  pre-discount amount), cut to what its covered lines can still give (their amounts after
  earlier coupons, less the fen kept). ``Applied.nominal_fen`` keeps the uncut figure so a
  page can say what a coupon would have been worth.
- **Apportioning (分摊).** A discount is split over the lines it covers pro rata to what
  each line costs before it: each line gets its share rounded down to the fen, and the
  fen left over go on the last line; what does not fit there (a last line cheaper than the
  remainder) goes on the line before it, and so on backwards. The parts sum exactly to
  the discount, none is negative and none is above what its line can give.
- **Best combination.** ``best`` returns an applicable combination with the greatest total
  discount. Given the platform coupon, a bigger shop discount can only shrink the platform
  coupon's room by as much, never more, so the best shop coupon of each shop is chosen on
  its own; every platform coupon (and none) is tried. Ties go to the coupon listed first
  (the caller lists them in its order of preference, e.g. soonest to expire).
- **Refund shares.** A line of ``quantity`` units that cost ``paid`` fen after discounts
  refunds, for units ``before+1 .. before+n``, ``floor(paid*(before+n)/quantity) -
  floor(paid*before/quantity)``: any sequence of partial refunds of all units gives back
  exactly ``paid``, never more, and each unit about its share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Applied",
    "Coupon",
    "CouponKind",
    "CouponRefused",
    "Issuer",
    "Line",
    "Outcome",
    "RefusalCode",
    "Scope",
    "ScopeKind",
    "apply",
    "apportion",
    "best",
    "covered",
    "nominal_discount",
    "refund_share",
]

MAX_FEN = 10**15


class CouponKind(StrEnum):
    SPEND_OFF = "spend_off"  # 满减
    AMOUNT_OFF = "amount_off"  # 立减
    PERCENT_OFF = "percent_off"  # 折扣


class Issuer(StrEnum):
    PLATFORM = "platform"
    SHOP = "shop"


class ScopeKind(StrEnum):
    ALL = "all"
    SHOP = "shop"
    CATEGORIES = "categories"
    PRODUCTS = "products"


class RefusalCode(StrEnum):
    NOTHING_COVERED = "coupon_covers_nothing"
    THRESHOLD_NOT_MET = "coupon_threshold_not_met"
    DUPLICATE = "coupon_used_twice"
    PLATFORM_NOT_STACKABLE = "platform_coupons_do_not_stack"
    SHOP_NOT_STACKABLE = "shop_coupons_do_not_stack"


class CouponRefused(ValueError):
    """A coupon (or combination) that cannot apply; ``code`` is stable."""

    def __init__(self, code: RefusalCode, coupon_id: object = None):
        super().__init__(f"{code}: {coupon_id!r}")
        self.code = code
        self.coupon_id = coupon_id


def _fen(value: int, name: str, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of fen")
    if value < (1 if positive else 0) or value > MAX_FEN:
        raise ValueError(f"{name} out of range: {value}")
    return value


@dataclass(frozen=True)
class Line:
    """A cart or order line: its pre-discount amount (unit price × quantity)."""

    key: object
    shop: object
    product: object
    amount_fen: int
    categories: frozenset = frozenset()  # the product's category and its ancestors

    def __post_init__(self) -> None:
        _fen(self.amount_fen, "amount_fen", positive=True)
        object.__setattr__(self, "categories", frozenset(self.categories))


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind = ScopeKind.ALL
    shop: object = None  # for ``shop``
    categories: frozenset = frozenset()
    products: frozenset = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ScopeKind(self.kind))
        object.__setattr__(self, "categories", frozenset(self.categories))
        object.__setattr__(self, "products", frozenset(self.products))
        if self.kind == ScopeKind.SHOP and self.shop is None:
            raise ValueError("a shop scope needs its shop")

    def covers(self, line: Line) -> bool:
        if self.kind == ScopeKind.ALL:
            return True
        if self.kind == ScopeKind.SHOP:
            return line.shop == self.shop
        if self.kind == ScopeKind.CATEGORIES:
            return bool(self.categories & line.categories)
        return line.product in self.products


@dataclass(frozen=True)
class Coupon:
    """A claimed coupon's terms. ``shop`` is the issuing shop of a shop coupon."""

    id: object
    issuer: Issuer
    kind: CouponKind
    threshold_fen: int = 0
    off_fen: int = 0
    percent: int = 0
    cap_fen: int = 0
    shop: object = None
    scope: Scope = Scope()

    def __post_init__(self) -> None:
        object.__setattr__(self, "issuer", Issuer(self.issuer))
        object.__setattr__(self, "kind", CouponKind(self.kind))
        _fen(self.threshold_fen, "threshold_fen")
        if self.issuer == Issuer.SHOP and self.shop is None:
            raise ValueError("a shop coupon needs its shop")
        if self.issuer == Issuer.PLATFORM and self.shop is not None:
            raise ValueError("a platform coupon has no issuing shop")
        if self.kind == CouponKind.PERCENT_OFF:
            if isinstance(self.percent, bool) or not isinstance(self.percent, int):
                raise TypeError("percent must be an int")
            if not 1 <= self.percent <= 99:
                raise ValueError("percent must be within 1..99")
            _fen(self.cap_fen, "cap_fen", positive=True)
        else:
            _fen(self.off_fen, "off_fen", positive=True)
            if self.kind == CouponKind.SPEND_OFF and not self.off_fen < self.threshold_fen:
                raise ValueError("a 满减 coupon's amount off must be below its threshold")

    def covers(self, line: Line) -> bool:
        if self.issuer == Issuer.SHOP and line.shop != self.shop:
            return False
        return self.scope.covers(line)


def covered(coupon: Coupon, lines: Iterable[Line]) -> list[Line]:
    return [line for line in lines if coupon.covers(line)]


def nominal_discount(coupon: Coupon, base_fen: int) -> int:
    """What ``coupon`` takes off ``base_fen`` (the pre-discount amount it covers), by its
    kind alone; 0 when the threshold is not met."""
    if base_fen <= 0 or base_fen < coupon.threshold_fen:
        return 0
    if coupon.kind == CouponKind.SPEND_OFF:
        return coupon.off_fen
    if coupon.kind == CouponKind.AMOUNT_OFF:
        return min(coupon.off_fen, base_fen)
    return min(base_fen * coupon.percent // 100, coupon.cap_fen)


def apportion(
    discount_fen: int, weights: Sequence[int], caps: Sequence[int] | None = None
) -> list[int]:
    """Split ``discount_fen`` over lines pro rata to ``weights``: shares rounded down, the
    remainder on the last line, what does not fit under a line's cap on the line before.

    ``caps`` (default: the weights) bound each part; their sum must reach the discount,
    and each cap must be at least the line's rounded-down share (true when the caps are
    the weights, or the weights less a kept fen while the discount is below the weights'
    sum)."""
    caps = list(weights) if caps is None else list(caps)
    if len(caps) != len(weights):
        raise ValueError("one cap per weight")
    total = sum(weights)
    if discount_fen < 0 or any(w < 0 for w in weights) or any(c < 0 for c in caps):
        raise ValueError("amounts must not be negative")
    if discount_fen > sum(caps):
        raise ValueError("the discount is larger than the lines can give")
    if discount_fen == 0:
        return [0] * len(weights)
    parts = [discount_fen * w // total for w in weights]
    if any(p > c for p, c in zip(parts, caps, strict=True)):
        raise ValueError("a cap below its line's share")
    left = discount_fen - sum(parts)
    for i in range(len(parts) - 1, -1, -1):
        if not left:
            break
        more = min(left, caps[i] - parts[i])
        parts[i] += more
        left -= more
    return parts


@dataclass(frozen=True)
class Applied:
    coupon: Coupon
    nominal_fen: int  # by its kind, before the one-fen-per-order cut
    discount_fen: int  # what it really takes off
    parts: dict  # line key -> fen taken off that line


@dataclass(frozen=True)
class Outcome:
    lines: tuple[Line, ...]
    applied: tuple[Applied, ...]  # shop coupons (in the given order), then the platform's

    @property
    def discount_fen(self) -> int:
        return sum(a.discount_fen for a in self.applied)

    def line_discounts(self) -> dict:
        """Line key -> the total taken off it by every coupon."""
        out = {line.key: 0 for line in self.lines}
        for applied in self.applied:
            for key, part in applied.parts.items():
                out[key] += part
        return out

    def line_totals(self) -> dict:
        """Line key -> what the line costs after every coupon."""
        off = self.line_discounts()
        return {line.key: line.amount_fen - off[line.key] for line in self.lines}

    def order_totals(self) -> dict:
        """Shop -> what its order costs after every coupon."""
        out: dict = {}
        for key, total in self.line_totals().items():
            shop = self._by_key[key].shop
            out[shop] = out.get(shop, 0) + total
        return out

    @property
    def _by_key(self) -> dict:
        return {line.key: line for line in self.lines}


def _kept_fen(lines: Sequence[Line]) -> dict:
    """Line key -> 1 for the dearest line of each shop's order (the first at a tie)."""
    dearest: dict = {}
    for line in lines:
        top = dearest.get(line.shop)
        if top is None or line.amount_fen > top.amount_fen:
            dearest[line.shop] = line
    return {line.key: 1 for line in dearest.values()}


def _check_lines(lines: Sequence[Line]) -> None:
    keys = [line.key for line in lines]
    if len(set(keys)) != len(keys):
        raise ValueError("line keys must be unique")


def _check_combination(coupons: Sequence[Coupon]) -> None:
    seen: set = set()
    platform = 0
    shops: set = set()
    for coupon in coupons:
        if coupon.id in seen:
            raise CouponRefused(RefusalCode.DUPLICATE, coupon.id)
        seen.add(coupon.id)
        if coupon.issuer == Issuer.PLATFORM:
            platform += 1
            if platform > 1:
                raise CouponRefused(RefusalCode.PLATFORM_NOT_STACKABLE, coupon.id)
        else:
            if coupon.shop in shops:
                raise CouponRefused(RefusalCode.SHOP_NOT_STACKABLE, coupon.id)
            shops.add(coupon.shop)


def _apply_one(coupon: Coupon, lines: Sequence[Line], remaining: dict, kept: dict) -> Applied:
    mine = covered(coupon, lines)
    if not mine:
        raise CouponRefused(RefusalCode.NOTHING_COVERED, coupon.id)
    base = sum(line.amount_fen for line in mine)
    if base < coupon.threshold_fen:
        raise CouponRefused(RefusalCode.THRESHOLD_NOT_MET, coupon.id)
    nominal = nominal_discount(coupon, base)
    weights = [remaining[line.key] for line in mine]
    caps = [remaining[line.key] - kept.get(line.key, 0) for line in mine]
    discount = min(nominal, sum(caps))
    parts = apportion(discount, weights, caps)
    for line, part in zip(mine, parts, strict=True):
        remaining[line.key] -= part
    return Applied(
        coupon=coupon,
        nominal_fen=nominal,
        discount_fen=discount,
        parts={line.key: part for line, part in zip(mine, parts, strict=True)},
    )


def apply(coupons: Sequence[Coupon], lines: Sequence[Line]) -> Outcome:
    """Apply the buyer's chosen ``coupons`` to ``lines``: shop coupons first, then the
    platform coupon. Refuses (``CouponRefused``) a combination the rules do not allow and
    a coupon that covers nothing or whose threshold is not met."""
    lines = tuple(lines)
    _check_lines(lines)
    _check_combination(coupons)
    ordered = [c for c in coupons if c.issuer == Issuer.SHOP] + [
        c for c in coupons if c.issuer == Issuer.PLATFORM
    ]
    remaining = {line.key: line.amount_fen for line in lines}
    kept = _kept_fen(lines)
    applied = tuple(_apply_one(coupon, lines, remaining, kept) for coupon in ordered)
    return Outcome(lines=lines, applied=applied)


def _applicable(coupon: Coupon, lines: Sequence[Line]) -> bool:
    base = sum(line.amount_fen for line in covered(coupon, lines))
    return base > 0 and base >= coupon.threshold_fen


def _pareto(points: list[tuple[int, int, tuple]]) -> list[tuple[int, int, tuple]]:
    """The points no other point beats on both ``w`` and ``u`` (the first of equals kept)."""
    ordered = sorted(enumerate(points), key=lambda ip: (-ip[1][0], -ip[1][1], ip[0]))
    front: list[tuple[int, int, tuple]] = []
    for _i, point in ordered:
        if not front or point[1] > front[-1][1]:
            front.append(point)
    return front


def best(coupons: Sequence[Coupon], lines: Sequence[Line]) -> Outcome:
    """The applicable combination of ``coupons`` with the greatest total discount (the
    empty one when none applies). Coupons listed earlier win ties.

    Shop coupons of different shops never interact, but one that discounts lines the
    platform coupon covers shrinks that coupon's room. For a platform coupon with nominal
    discount ``N`` and room ``R`` on its lines (less the kept fen), shop coupons worth
    ``w`` in all, ``u`` of it on lines the platform coupon does not cover, save
    ``min(w + N, R + u)``: so only the shop choices not beaten on both ``w`` and ``u``
    matter, and those are combined shop by shop (a Pareto front), not by trying every
    combination."""
    lines = tuple(lines)
    _check_lines(lines)
    seen: set = set()
    usable = []
    for coupon in coupons:
        if coupon.id not in seen and _applicable(coupon, lines):
            seen.add(coupon.id)
            usable.append(coupon)
    kept = _kept_fen(lines)
    by_shop: dict = {}  # shop -> [(coupon, worth, parts)], in the given order
    for coupon in usable:
        if coupon.issuer == Issuer.SHOP:
            remaining = {line.key: line.amount_fen for line in lines}
            alone = _apply_one(coupon, lines, remaining, kept)
            if alone.discount_fen > 0:
                by_shop.setdefault(coupon.shop, []).append(
                    (coupon, alone.discount_fen, alone.parts)
                )
    # Without a platform coupon: the best shop coupon of each shop.
    greedy = []
    for options in by_shop.values():
        top = max(options, key=lambda option: option[1])  # max keeps the first of equals
        greedy.append(top[0])
    result = apply(greedy, lines)
    for platform in usable:
        if platform.issuer != Issuer.PLATFORM:
            continue
        mine = covered(platform, lines)
        nominal = nominal_discount(platform, sum(line.amount_fen for line in mine))
        in_scope = {line.key for line in mine}
        room = sum(line.amount_fen - kept.get(line.key, 0) for line in mine)
        front: list[tuple[int, int, tuple]] = [(0, 0, ())]
        for options in by_shop.values():
            choices = [(0, 0, ())] + [
                (worth, worth - sum(p for k, p in parts.items() if k in in_scope), (coupon,))
                for coupon, worth, parts in options
            ]
            front = _pareto(
                [(w1 + w2, u1 + u2, s1 + s2) for w1, u1, s1 in front for w2, u2, s2 in choices]
            )
        chosen = max(front, key=lambda point: min(point[0] + nominal, room + point[1]))
        candidate = apply([*chosen[2], platform], lines)
        if candidate.discount_fen > result.discount_fen:
            result = candidate
    return result


def refund_share(*, paid_fen: int, quantity: int, before: int, units: int) -> int:
    """What refunding ``units`` more units of a line gives back, after ``before`` units were
    refunded already; the line cost ``paid_fen`` for ``quantity`` units."""
    _fen(paid_fen, "paid_fen")
    if quantity < 1 or before < 0 or units < 0 or before + units > quantity:
        raise ValueError("units out of range")
    return paid_fen * (before + units) // quantity - paid_fen * before // quantity
