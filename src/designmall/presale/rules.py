"""Pre-sale price and rule arithmetic. Pure: no Django, no clock, no I/O.

A campaign sells SKUs before they exist, in one of two kinds:

- **full payment** (全款预售): the buyer pays the whole pre-sale price in the sale window
  (``starts_at`` .. ``ends_at``);
- **deposit + balance** (定金预售): the buyer pays a deposit in the deposit window
  (``starts_at`` .. ``ends_at``) and the balance in the later balance window
  (``balance_starts_at`` .. ``balance_ends_at``). A deposit may be boosted (定金膨胀): it
  counts as ``credit_fen`` (≥ the deposit) against the price.

Rules (``campaign_problems`` lists every one a campaign breaks, each with a stable code):

- **Prices.** Every SKU has a pre-sale price of at least 1 fen (``price_invalid``).
- **Deposit.** A deposit campaign's deposit is at least 1 fen (``deposit_invalid``); a
  full-payment campaign has none (``deposit_not_allowed``). When the deposit is called 定金
  (``earnest``, the default) it is at most 20% of the pre-sale price (Civil Code art.
  586: ``deposit_above_earnest_limit``), i.e. at most ``earnest_max_fen(price)``; a
  deposit that is an advance payment (预付款, refunded on default) has no such cap.
- **Boost.** The credit is at least the deposit (``credit_below_deposit``: a boost never
  shrinks it) and at most the price (``credit_above_price``); the balance, price −
  credit, is more than 0 (``balance_not_positive``): something is always left to pay,
  so the buyer confirms the purchase by paying it.
- **Windows.** Each window ends after it starts (``window_order``); the balance window
  opens no earlier than the deposit window closes (``balance_before_deposit_end``). A
  deposit campaign has a balance window (``balance_window_missing``), a full-payment one
  none (``balance_window_not_allowed``). Datetimes are timezone-aware
  (``naive_datetime``).
- **Ship date.** Exactly one of a fixed date (``ship_on``) or a number of days after the
  campaign's last window ends (``ship_days_after_end``, 1..``MAX_SHIP_DAYS``)
  (``ship_date_missing``, ``ship_date_ambiguous``, ``ship_days_invalid``). A fixed date
  is later than the (Beijing) date on which the last window ends (``ship_before_end``).
- **Caps.** 1..``MAX_SKUS`` SKUs (``skus_invalid``); a quantity per SKU of
  1..``MAX_QUANTITY`` (``quantity_invalid``); a per-buyer limit of 1..``MAX_PER_BUYER``
  (``per_buyer_limit_invalid``).

What a buyer owes and gets back:

- ``balance_fen``: locked price − locked credit; the buyer pays deposit + balance, never
  more than the price (the credit is never below the deposit).
- ``default_outcome``: the balance was not paid in time. A 定金 is forfeited to the seller
  (less commission, split as every release is: ``ledger.rules.split_commission``); an
  advance payment goes back to the buyer in full.
- ``refund_cap``: a refund of one payment is never more than what was paid on it less
  what was refunded already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from designmall.core.money import MAX_FEN
from designmall.ledger.rules import split_commission

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Civil Code art. 586: an earnest (定金) may not exceed 20% of the principal contract's price.
EARNEST_MAX_BP = 2_000
MAX_SKUS = 20
MAX_QUANTITY = 100_000
MAX_PER_BUYER = 99
MAX_SHIP_DAYS = 365


class Kind(StrEnum):
    FULL = "full"
    DEPOSIT = "deposit"


@dataclass(frozen=True, slots=True)
class SkuTerms:
    """One SKU of a campaign: its pre-sale price, deposit, credit and quantity cap."""

    price_fen: int
    deposit_fen: int = 0
    credit_fen: int = 0
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class CampaignTerms:
    kind: Kind
    starts_at: datetime
    ends_at: datetime
    skus: tuple[SkuTerms, ...]
    per_buyer_limit: int = 1
    balance_starts_at: datetime | None = None
    balance_ends_at: datetime | None = None
    ship_on: date | None = None
    ship_days_after_end: int | None = None
    earnest: bool = True


@dataclass(frozen=True, slots=True)
class Problem:
    """A rule a campaign breaks: a stable ``code``, the ``field`` at fault (``skus.0.price_fen``
    for a SKU's) and the numbers a message may need (``params``)."""

    code: str
    field: str
    params: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class DefaultOutcome:
    """What happens to a paid deposit whose balance was not paid in time."""

    forfeit_fen: int  # kept from the buyer
    seller_fen: int  # of it, to the seller
    commission_fen: int  # of it, to the platform
    refund_fen: int  # back to the buyer


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def earnest_max_fen(price_fen: int) -> int:
    """The largest 定金 for ``price_fen``: 20% of it, rounded down to the fen."""
    return price_fen * EARNEST_MAX_BP // 10_000


def balance_fen(*, price_fen: int, credit_fen: int) -> int:
    """What is left to pay after the deposit: the price less the deposit's credit."""
    return price_fen - credit_fen


def last_window_end(terms: CampaignTerms) -> datetime:
    """When the campaign's last window (balance, else sale/deposit) ends."""
    if terms.kind == Kind.DEPOSIT and terms.balance_ends_at is not None:
        return terms.balance_ends_at
    return terms.ends_at


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def promised_ship_date(terms: CampaignTerms) -> date | None:
    """The date by which the seller promised to ship: the fixed date, or the (Beijing) date
    the last window ends plus the days; None when the terms give neither."""
    if terms.ship_on is not None:
        return terms.ship_on
    if terms.ship_days_after_end is not None:
        return local_date(last_window_end(terms)) + timedelta(days=terms.ship_days_after_end)
    return None


def _sku_problems(i: int, sku: SkuTerms, terms: CampaignTerms) -> list[Problem]:
    out: list[Problem] = []
    where = f"skus.{i}"
    if not _is_int(sku.price_fen, 1, MAX_FEN):
        return [Problem("price_invalid", f"{where}.price_fen")]
    if not _is_int(sku.quantity, 1, MAX_QUANTITY):
        out.append(Problem("quantity_invalid", f"{where}.quantity", (("max", MAX_QUANTITY),)))
    if terms.kind == Kind.FULL:
        if sku.deposit_fen != 0 or sku.credit_fen != 0:
            out.append(Problem("deposit_not_allowed", f"{where}.deposit_fen"))
        return out
    if not _is_int(sku.deposit_fen, 1, MAX_FEN):
        out.append(Problem("deposit_invalid", f"{where}.deposit_fen"))
        return out
    limit = earnest_max_fen(sku.price_fen)
    if terms.earnest and sku.deposit_fen > limit:
        out.append(
            Problem("deposit_above_earnest_limit", f"{where}.deposit_fen", (("max_fen", limit),))
        )
    if not _is_int(sku.credit_fen, 0, MAX_FEN) or sku.credit_fen < sku.deposit_fen:
        out.append(Problem("credit_below_deposit", f"{where}.credit_fen"))
    elif sku.credit_fen > sku.price_fen:
        out.append(Problem("credit_above_price", f"{where}.credit_fen"))
    elif balance_fen(price_fen=sku.price_fen, credit_fen=sku.credit_fen) <= 0:
        out.append(Problem("balance_not_positive", f"{where}.credit_fen"))
    return out


def _window_problems(terms: CampaignTerms) -> list[Problem]:
    out: list[Problem] = []
    names = ["starts_at", "ends_at", "balance_starts_at", "balance_ends_at"]
    for name in names:
        value = getattr(terms, name)
        if value is not None and not _is_aware(value):
            out.append(Problem("naive_datetime", name))
    if out or not (_is_aware(terms.starts_at) and _is_aware(terms.ends_at)):
        return out or [Problem("naive_datetime", "starts_at")]
    if terms.ends_at <= terms.starts_at:
        out.append(Problem("window_order", "ends_at"))
    has_balance = terms.balance_starts_at is not None or terms.balance_ends_at is not None
    if terms.kind == Kind.FULL:
        if has_balance:
            out.append(Problem("balance_window_not_allowed", "balance_starts_at"))
        return out
    if terms.balance_starts_at is None or terms.balance_ends_at is None:
        out.append(Problem("balance_window_missing", "balance_starts_at"))
        return out
    if terms.balance_ends_at <= terms.balance_starts_at:
        out.append(Problem("window_order", "balance_ends_at"))
    if terms.balance_starts_at < terms.ends_at:
        out.append(Problem("balance_before_deposit_end", "balance_starts_at"))
    return out


def _ship_problems(terms: CampaignTerms, windows_ok: bool) -> list[Problem]:
    fixed, days = terms.ship_on, terms.ship_days_after_end
    if fixed is None and days is None:
        return [Problem("ship_date_missing", "ship_on")]
    if fixed is not None and days is not None:
        return [Problem("ship_date_ambiguous", "ship_on")]
    if days is not None:
        if not _is_int(days, 1, MAX_SHIP_DAYS):
            return [Problem("ship_days_invalid", "ship_days_after_end", (("max", MAX_SHIP_DAYS),))]
        return []
    if not isinstance(fixed, date) or isinstance(fixed, datetime):
        return [Problem("ship_date_missing", "ship_on")]
    if windows_ok and fixed <= local_date(last_window_end(terms)):
        return [Problem("ship_before_end", "ship_on")]
    return []


def campaign_problems(terms: CampaignTerms) -> list[Problem]:
    """Every rule ``terms`` break (see the module); empty when the campaign may run."""
    out: list[Problem] = []
    if not isinstance(terms.skus, tuple) or not 1 <= len(terms.skus) <= MAX_SKUS:
        out.append(Problem("skus_invalid", "skus", (("max", MAX_SKUS),)))
    else:
        for i, sku in enumerate(terms.skus):
            out.extend(_sku_problems(i, sku, terms))
    if not _is_int(terms.per_buyer_limit, 1, MAX_PER_BUYER):
        out.append(Problem("per_buyer_limit_invalid", "per_buyer_limit", (("max", MAX_PER_BUYER),)))
    windows = _window_problems(terms)
    out.extend(windows)
    out.extend(_ship_problems(terms, windows_ok=not windows))
    return out


def default_outcome(*, earnest: bool, deposit_paid_fen: int, commission_bp: int) -> DefaultOutcome:
    """What a default (balance unpaid by the window's end) does with the paid deposit."""
    if not _is_int(deposit_paid_fen, 0, MAX_FEN):
        raise ValueError("the deposit paid must be whole fen, >= 0")
    if not earnest:
        return DefaultOutcome(0, 0, 0, deposit_paid_fen)
    seller, commission = split_commission(deposit_paid_fen, commission_bp)
    return DefaultOutcome(deposit_paid_fen, seller, commission, 0)


def refund_cap(*, paid_fen: int, refunded_fen: int) -> int:
    """The most that may still be refunded of one payment."""
    if not (_is_int(paid_fen, 0, MAX_FEN) and _is_int(refunded_fen, 0, paid_fen)):
        raise ValueError("refunded must be within 0..paid, whole fen")
    return paid_fen - refunded_fen
