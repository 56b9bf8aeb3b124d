"""Auction services: bidding, retraction, watching, and setting lots and sales up.

Bidding. ``bid_place`` checks what it can before any lock (the amount, the bidder, the
seller's own lot, the deposit), then in one short transaction locks the lot's row
(``SELECT … FOR UPDATE``; SQLite's write transactions are ``BEGIN IMMEDIATE`` anyway),
takes the server time inside the lock, rebuilds the engine state from the lot's snapshot
(``snapshot``), applies the bid with ``engine.apply_bid`` and writes the bid, the new
snapshot, the new lines of the public bid log and an audit row. The lock order is the
order the engine sees, so ties go to the bid that got the lock first, and the end a
client saw means nothing: a bid that takes the lock at or after the (possibly extended)
end is refused. Refused bids are recorded too. After the commit the change is published
for the live layer (``live``).

Locks everywhere in auctions, in this order: a payment (payments lock it before calling
our handlers), a checkout and its order, the lot, a deposit's payment, the deposit.

The end is final. Once a lot's end has come (``snapshot.lot_ended``: the clock at or past
its end, soft-close extensions included, or a buy-now), nothing may change its result,
whether or not the sweeper has settled it yet: every action on a lot locks its row, takes
the time inside the lock (``lot_locked``) and decides from that, never from the settled
status. A bid is refused by the engine (``lot_ended``); a retraction and a change of the
lot's rules or times are refused with ``LotEnded`` (``refuse_after_end``); rescheduling a
sale leaves ended lots alone.

Setting up. Lots and sales are created and changed through ``lot_create``,
``lot_update``, ``sale_schedule_apply`` and ``increment_table_save`` (the admin calls
them): the rules of a lot are checked by building the engine's ``LotRules``, and once a
lot has an accepted bid or its end has come they no longer change (only its texts do),
nor does an increment table a running lot with bids uses.
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from designmall.accounts.models import User
from designmall.auctions import engine, live
from designmall.auctions.increments import IncrementTable as Increments
from designmall.auctions.increments import IncrementTableError
from designmall.auctions.models import (
    AuctionSale,
    Bid,
    BidSource,
    BidStep,
    IncrementTable,
    Lot,
    LotStatus,
    Watch,
)
from designmall.auctions.selectors import deposit_covering_for, leader_code
from designmall.auctions.snapshot import (
    counted_bids,
    engine_bid,
    lot_ended,
    lot_rules,
    lot_state,
    snapshot_set,
    steps_rows,
)
from designmall.catalog.models import ShopStatus
from designmall.core import clock, metrics
from designmall.core.audit import audit_record
from designmall.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from designmall.core.money import format_fen
from designmall.payments.services import MAX_PAYMENT_FEN

logger = logging.getLogger(__name__)

# No bid above what one payment can carry: nobody could pay it.
MAX_BID_FEN = MAX_PAYMENT_FEN
REASON_MAX = 500
DEFAULT_TABLE_NAME = "设计周标准加价幅度"

# Refusals decided before the lot's lock.
OWN_LOT = "own_lot"
DEPOSIT_REQUIRED = "deposit_required"

_REFUSAL_MESSAGES = {
    engine.RefusalReason.CLOSED: gettext_noop("这件拍品的拍卖已结束。"),
    engine.RefusalReason.ENDED: gettext_noop("拍卖已截止，出价未被接受。"),
    engine.RefusalReason.NOT_STARTED: gettext_noop("拍卖尚未开始。"),
    engine.RefusalReason.NOT_ABOVE_OWN_MAX: gettext_noop(
        "您已领先；如要提高最高出价，须高于您现在的最高出价。"
    ),
    engine.RefusalReason.BELOW_MINIMUM: gettext_noop("出价低于当前最低可出价 %(minimum)s。"),
    engine.RefusalReason.OFF_GRID: gettext_noop(
        "出价须符合加价幅度，可出 %(below)s 或 %(above)s。"
    ),
    engine.RefusalReason.BUY_NOW_UNAVAILABLE: gettext_noop("这件拍品已不能一口价购买。"),
    engine.RefusalReason.BUY_NOW_AMOUNT_MISMATCH: gettext_noop(
        "一口价与页面显示的不一致，请刷新后再试。"
    ),
}


class BidRefused(Conflict):
    """The engine refused a bid (it is recorded); ``code`` is the engine's reason code and
    ``details`` carry the bid's public id and, where it helps, the least acceptable bid."""

    code = "bid_refused"


@dataclass(frozen=True)
class BidResult:
    """An accepted bid and the lot as it now stands (its sale, designer, shop and increment
    table read with it)."""

    bid: Bid
    lot: Lot
    leading: bool
    price_fen: int
    minimum_next_fen: int | None
    ends_at: Any
    extended: bool
    bought_now: bool
    events: tuple[engine.Event, ...]


# --- small helpers --------------------------------------------------------------------------


def _reason(reason: str, *, required: bool = False) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            _("原因最多 %(n)s 个字。") % {"n": REASON_MAX}, code="reason_too_long"
        )
    if required and not reason:
        raise ValidationFailed(_("请填写原因。"), code="reason_required")
    return reason


def _require_active_user(user: User | None) -> User:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotAuthenticated(_("请先登录。"), code="not_authenticated")
    return user


def lock_lot(lot_id: int) -> Lot:
    """The lot's row, locked for this transaction (its increment table, sale, designer and
    shop read, not locked: what a bid's answer shows)."""
    lots = Lot.objects.select_related("increment_table", "sale", "designer", "shop")
    if connection.features.has_select_for_update_of:
        return lots.select_for_update(of=("self",)).get(pk=lot_id)
    return lots.select_for_update().get(pk=lot_id)


def lot_locked(lot_id: int) -> tuple[Lot, datetime]:
    """The lot's row locked, and the time taken once the lock is held: what an action on
    the lot decides from (``lot_ended``), whatever the client or the sweeper believed."""
    lot = lock_lot(lot_id)
    return lot, clock.now()


class LotEnded(Conflict):
    """An action that would change a lot's result, refused because its end has come
    (``snapshot.lot_ended``): by the clock, extensions included, or by a buy-now, settled
    by the sweeper or not yet. ``details``: the lot, its end and its status."""

    code = "lot_ended"


def refuse_after_end(lot: Lot, now: datetime, message: str, **details: Any) -> None:
    """Raise ``LotEnded`` with ``message`` (and ``details``) if ``lot``, locked at ``now``
    (``lot_locked``), has ended."""
    if lot_ended(lot, now):
        ended_at = lot.closed_at or lot.ends_at
        raise LotEnded(
            message,
            details={
                "lot": lot.public_id,
                "ended_at": ended_at.isoformat(),
                "status": lot.status,
                **details,
            },
        )


def publish_lot(lot: Lot, *, events=(), outbid_ids=()) -> None:
    """Tell the live layer about ``lot`` (as saved) once the transaction commits."""
    live.publish_on_commit(
        live.lot_message(lot, leader_handle=leader_code(lot) or "", events=events),
        outbid_user_ids=outbid_ids,
    )


def check_bid_amount(amount: Any) -> int:
    """A bid amount as the engine takes it, or ``ValidationFailed`` saying what is wrong:
    ``amount_not_integer`` (also for ``True``/``False`` and strings), ``amount_not_positive``,
    ``amount_too_large`` (above what one payment can carry)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed(
            _("出价金额必须是整数（分）。"),
            code="amount_not_integer",
            details={"max_fen": repr(amount)[:40]},
        )
    if amount <= 0:
        raise ValidationFailed(
            _("出价金额必须大于零。"), code="amount_not_positive", details={"max_fen": amount}
        )
    if amount > MAX_BID_FEN:
        raise ValidationFailed(
            _("出价金额超出上限 %(max)s。") % {"max": format_fen(MAX_BID_FEN)},
            code="amount_too_large",
            details={"max_fen": amount, "limit_fen": MAX_BID_FEN},
        )
    return amount


# --- bidding --------------------------------------------------------------------------------


def _record_refusal(
    *, lot_id: int, bidder: User, max_fen: int, buy_now: bool, source: str, client_ip, reason
) -> Bid:
    return Bid.objects.create(
        lot_id=lot_id,
        bidder=bidder,
        max_fen=max_fen,
        buy_now=buy_now,
        placed_at=clock.now(),
        source=source,
        client_ip=client_ip,
        accepted=False,
        refusal=reason,
    )


@transaction.atomic
def _bid_apply(
    *, lot_id: int, bidder: User, max_fen: int, buy_now: bool, source: str, client_ip
) -> tuple[Bid, Lot, engine.LotState, tuple[engine.Event, ...]]:
    # The time is taken inside the lock: the bid's time, whatever the client thinks; the
    # engine refuses it at or after the end (``lot_ended``, extensions included).
    lot, now = lot_locked(lot_id)
    state = lot_state(lot)
    sequence = lot.bid_sequence + 1
    new_state, events = engine.apply_bid(
        state, engine.Bid(bidder.pk, max_fen, now, bid_id=sequence, buy_now=buy_now)
    )
    refused = events[0] if isinstance(events[0], engine.BidRefused) else None
    bid = Bid.objects.create(
        lot=lot,
        bidder=bidder,
        sequence=sequence,
        max_fen=max_fen,
        buy_now=buy_now,
        placed_at=now,
        source=source,
        client_ip=client_ip,
        accepted=refused is None,
        refusal=refused.reason.value if refused else "",
        minimum_fen=refused.minimum_fen if refused else None,
    )
    lot.bid_sequence = sequence
    fields = ["bid_sequence"]
    if refused is None:
        # The state was rebuilt without its log, so its steps are exactly this bid's.
        BidStep.objects.bulk_create(steps_rows(lot, new_state.steps, first=lot.step_count + 1))
        lot.step_count += len(new_state.steps)
        lot.version += 1
        fields += [*snapshot_set(lot, new_state), "step_count", "version"]
    lot.save(update_fields=fields)
    if refused is None:
        audit_record(
            actor=bidder,
            action="lot.bid",
            target=lot,
            data={
                "bid": bid.public_id,
                "sequence": sequence,
                "max_fen": max_fen,
                "price_fen": lot.price_fen,
                "buy_now": buy_now,
                "source": source,
            },
        )
        publish_lot(
            lot,
            events=[event.kind for event in events],
            outbid_ids=[e.bidder_id for e in events if isinstance(e, engine.Outbid)],
        )
    return bid, lot, new_state, events


def _old_state(lot: Lot, old: dict[str, Any]) -> engine.LotState:
    """The engine state of ``lot`` as the snapshot ``old`` (from ``auctions_bid_apply``)."""
    seen = copy.copy(lot)
    for name in ("ends_at", "leader_placed_at", "runner_up_placed_at", "closed_at"):
        value = old[name]
        setattr(seen, name, datetime.fromisoformat(value) if value else None)
    for name in (
        "price_fen",
        "bid_count",
        "leader_id",
        "leader_max_fen",
        "leader_seq",
        "runner_up_id",
        "runner_up_max_fen",
        "runner_up_seq",
        "outcome",
        "winner_id",
        "hammer_fen",
    ):
        setattr(seen, name, old[name])
    return lot_state(seen)


def _bid_apply_one_trip(
    *, lot_id: int, bidder: User, max_fen: int, buy_now: bool, source: str, client_ip
) -> tuple[Bid, Lot, engine.LotState, tuple[engine.Event, ...]]:
    """PostgreSQL: ``_bid_apply``'s locked part as one call of the database function
    ``auctions_bid_apply`` (migration ``auctions.0004``) in autocommit, so the lot's row is
    locked for one statement, never while Python runs. Then, outside the lock, the engine
    is applied to the snapshot the function saw, for the events to publish and as a check
    that the function and the engine agree."""
    bid = Bid(
        lot_id=lot_id,
        bidder=bidder,
        max_fen=max_fen,
        buy_now=buy_now,
        source=source,
        client_ip=client_ip,
    )
    frozen, offset = clock.database_reference()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bid_id, sequence, placed_at, refusal, minimum_fen, old"
            " FROM auctions_bid_apply(%s, %s, %s, %s, %s, %s::inet, %s, %s, %s)",
            [lot_id, bidder.pk, max_fen, buy_now, source, client_ip, bid.public_id, frozen, offset],
        )
        bid.pk, bid.sequence, bid.placed_at, refusal, bid.minimum_fen, old = cursor.fetchone()
    bid.accepted, bid.refusal = not refusal, refusal
    old = json.loads(old) if isinstance(old, str) else old
    # An accepted bid's answer shows the lot with its sale, designer and shop: read once;
    # a refusal (most bids on a hot lot) needs only the rules.
    related = ("increment_table",) if refusal else ("sale", "designer", "shop", "increment_table")
    lot = Lot.objects.select_related(*related).get(pk=lot_id)
    state, events = engine.apply_bid(
        _old_state(lot, old),
        engine.Bid(bidder.pk, max_fen, bid.placed_at, bid_id=bid.sequence, buy_now=buy_now),
    )
    refused = events[0] if isinstance(events[0], engine.BidRefused) else None
    disagree = (refused.reason.value if refused else "") != refusal or (
        refused is None and lot.version == old["version"] + 1 and _snapshot_differs(lot, state)
    )
    if disagree:
        logger.error(
            "auctions_bid_apply and the engine disagree on bid %s of lot %s", bid.sequence, lot_id
        )
    if refused is None:
        publish_lot(
            lot,
            events=[event.kind for event in events],
            outbid_ids=[e.bidder_id for e in events if isinstance(e, engine.Outbid)],
        )
    return bid, lot, state, events


def _snapshot_differs(lot: Lot, state: engine.LotState) -> bool:
    expected = copy.copy(lot)
    columns = [Lot._meta.get_field(name).attname for name in snapshot_set(expected, state)]
    return any(getattr(expected, name) != getattr(lot, name) for name in columns)


def _refusal_error(bid: Bid, lot: Lot, state: engine.LotState) -> BidRefused:
    reason = engine.RefusalReason(bid.refusal)
    details: dict[str, Any] = {"bid": bid.public_id, "reason": reason.value}
    values: dict[str, str] = {}
    if bid.minimum_fen is not None:
        details["minimum_fen"] = bid.minimum_fen
        values["minimum"] = format_fen(bid.minimum_fen)
    if reason == engine.RefusalReason.OFF_GRID:
        rules = state.rules
        below = rules.increments.round_down_to_grid(bid.max_fen, rules.start_price_fen)
        above = rules.increments.round_up_to_grid(bid.max_fen + 1, rules.start_price_fen)
        details.update(nearest_below_fen=below, nearest_above_fen=above)
        values.update(below=format_fen(below), above=format_fen(above))
    if reason == engine.RefusalReason.ENDED:
        details["ended_at"] = lot.ends_at.isoformat()
    message = _(_REFUSAL_MESSAGES[reason])
    return BidRefused(message % values if values else message, code=reason.value, details=details)


def bid_place(
    *,
    lot: Lot,
    bidder: User,
    max_fen: Any,
    buy_now: bool = False,
    source: str = BidSource.WEB,
    client_ip: str | None = None,
) -> BidResult:
    """Bid up to ``max_fen`` on ``lot`` for ``bidder`` (the engine bids for them by proxy),
    or, with ``buy_now``, buy it at its buy-now price (``max_fen`` must equal it).

    Refused before the lock, with ``ValidationFailed``: a bad amount (see
    ``check_bid_amount``) or source; with ``NotAuthenticated``: no active bidder; with
    ``NotFound``: a lot not on sale; with ``PermissionDenied`` ``own_lot``: the seller
    bidding on their shop's lot; with ``Conflict`` ``deposit_required``: no paid deposit
    covering the lot when it asks for one (the last two are recorded as refused bids).
    Then the engine decides under the lot's lock; its refusals are recorded and raised as
    ``BidRefused`` with the engine's reason as code: ``lot_not_started``, ``lot_ended``
    (at or after the end, extensions included, whatever the client's clock says),
    ``lot_closed``, ``bid_below_minimum``, ``bid_off_grid``, ``bid_not_above_own_maximum``,
    ``buy_now_unavailable``, ``buy_now_amount_mismatch``.
    """
    max_fen = check_bid_amount(max_fen)
    if not isinstance(buy_now, bool):
        raise ValidationFailed(_("一口价参数无效。"), code="invalid_buy_now")
    if source not in BidSource.values:
        raise ValidationFailed(_("出价来源无效。"), code="invalid_source")
    bidder = _require_active_user(bidder)
    facts = (
        Lot.objects.filter(pk=lot.pk)
        .values("sale__is_published", "shop__owner_id", "deposit_fen", "sale_id")
        .first()
    )
    if facts is None or not facts["sale__is_published"]:
        raise NotFound(_("没有找到这件拍品。"), code="lot_not_found")
    attempt = {
        "lot_id": lot.pk,
        "bidder": bidder,
        "max_fen": max_fen,
        "buy_now": buy_now,
        "source": source,
        "client_ip": client_ip,
    }
    if facts["shop__owner_id"] == bidder.pk:
        bid = _record_refusal(**attempt, reason=OWN_LOT)
        raise PermissionDenied(
            _("卖家不能对自己店铺的拍品出价。"), code=OWN_LOT, details={"bid": bid.public_id}
        )
    if facts["deposit_fen"] > 0:
        covering = deposit_covering_for(
            lot_id=lot.pk, sale_id=facts["sale_id"], deposit_fen=facts["deposit_fen"], bidder=bidder
        )
        if covering is None:
            bid = _record_refusal(**attempt, reason=DEPOSIT_REQUIRED)
            raise Conflict(
                _("这件拍品需先缴纳竞拍保证金 %(amount)s 才能出价。")
                % {"amount": format_fen(facts["deposit_fen"])},
                code=DEPOSIT_REQUIRED,
                details={"bid": bid.public_id, "deposit_fen": facts["deposit_fen"]},
            )
    apply = _bid_apply_one_trip if connection.vendor == "postgresql" else _bid_apply
    bid, lot, state, events = apply(**attempt)
    if not bid.accepted:
        raise _refusal_error(bid, lot, state)
    metrics.count_on_commit(metrics.BIDS_ACCEPTED)
    accepted = events[0]
    assert isinstance(accepted, engine.BidAccepted)
    return BidResult(
        bid=bid,
        lot=lot,
        leading=accepted.leading,
        price_fen=lot.price_fen,
        minimum_next_fen=state.minimum_bid_fen,
        ends_at=lot.ends_at,
        extended=any(isinstance(e, engine.EndExtended) for e in events),
        bought_now=any(isinstance(e, engine.BoughtNow) for e in events),
        events=events,
    )


# --- retraction -----------------------------------------------------------------------------


def can_retract_bids(user: User | None) -> bool:
    return bool(user and user.is_active and user.has_perm("auctions.retract_bid"))


@transaction.atomic
def bid_retract(*, bid: Bid, by: User, reason: str) -> Lot:
    """An operator retracts an accepted bid, with a reason, while the lot is still running.

    The lot's remaining bids are replayed through the engine (``engine.replay``): they
    decide again, so a bid that only counted because of the retracted one may no longer
    count (the audit row lists them), and an end only the retracted bid extended comes
    back. The snapshot and the public bid log are rewritten from the replay. Refused:
    anyone without ``auctions.retract_bid`` (``PermissionDenied``), no reason, a refused
    or already retracted bid (``Conflict``), and a lot whose end has come (``LotEnded``
    ``lot_ended``): decided under the lot's lock from the clock, soft-close extensions
    included, or a buy-now, not from whether the sweeper has settled it yet. The end is
    final: no retraction can change the winner or the hammer price after it.
    """
    if not can_retract_bids(by):
        raise PermissionDenied(_("只有运营人员可以撤销出价。"), code="operator_only")
    reason = _reason(reason, required=True)
    lot, now = lot_locked(bid.lot_id)
    bid = Bid.objects.select_for_update().get(pk=bid.pk)
    if not bid.accepted:
        raise Conflict(_("这次出价未被接受，无需撤销。"), code="bid_not_accepted")
    if bid.retracted:
        raise Conflict(_("这次出价已撤销。"), code="bid_already_retracted")
    refuse_after_end(lot, now, _("拍卖已截止，结果已定，不能再撤销出价。"))
    before = {"price_fen": lot.price_fen, "leader": lot.leader_id, "ends_at": lot.ends_at}
    bid.retracted = True
    bid.retracted_at = now
    bid.retracted_by = by
    bid.retraction_reason = reason
    bid.save(update_fields=["retracted", "retracted_at", "retracted_by", "retraction_reason"])

    state = engine.LotState.opening(lot_rules(lot))
    no_longer_counted = []
    for remaining in counted_bids(lot):
        state, events = engine.apply_bid(state, engine_bid(remaining))
        if isinstance(events[0], engine.BidRefused):
            no_longer_counted.append(remaining.public_id)
    fields = snapshot_set(lot, state)
    BidStep.objects.filter(lot=lot).delete()
    BidStep.objects.bulk_create(steps_rows(lot, state.steps, first=1))
    lot.step_count = len(state.steps)
    lot.version += 1
    lot.save(update_fields=[*fields, "step_count", "version"])
    audit_record(
        actor=by,
        action="bid.retracted",
        target=bid,
        reason=reason,
        data={
            "lot": lot.public_id,
            "before": {k: str(v) if v is not None else None for k, v in before.items()},
            "price_fen": lot.price_fen,
            "no_longer_counted": no_longer_counted,
        },
    )
    publish_lot(lot, events=["bid_retracted"])
    return lot


# --- watching -------------------------------------------------------------------------------


def _published_lot(lot: Lot) -> Lot:
    if not AuctionSale.objects.filter(pk=lot.sale_id, is_published=True).exists():
        raise NotFound(_("没有找到这件拍品。"), code="lot_not_found")
    return lot


def lot_watch(*, lot: Lot, user: User) -> Watch:
    """``user`` watches ``lot`` (again: nothing changes)."""
    user = _require_active_user(user)
    _published_lot(lot)
    try:
        with transaction.atomic():
            watch, _created = Watch.objects.get_or_create(
                user=user, lot=lot, defaults={"created_at": clock.now()}
            )
    except IntegrityError:  # the same user, twice at once
        watch = Watch.objects.get(user=user, lot=lot)
    return watch


def lot_unwatch(*, lot: Lot, user: User) -> bool:
    """``user`` stops watching ``lot``; False if they were not watching it."""
    user = _require_active_user(user)
    deleted, _by_model = Watch.objects.filter(user=user, lot=lot).delete()
    return bool(deleted)


# --- increment tables -----------------------------------------------------------------------


def increment_table_default() -> IncrementTable:
    """The default table (the design week's, ``increments.DEFAULT``, made on first use)."""
    table = IncrementTable.objects.filter(is_default=True).first()
    if table is not None:
        return table
    from designmall.auctions.increments import DEFAULT

    now = clock.now()
    try:
        with transaction.atomic():
            return IncrementTable.objects.create(
                name=DEFAULT_TABLE_NAME,
                bands=DEFAULT.to_data(),
                is_default=True,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:  # made by someone else meanwhile
        return IncrementTable.objects.get(is_default=True)


def check_increment_bands(bands: Any) -> list[dict[str, int]]:
    """``bands`` validated through ``increments.IncrementTable.from_data``; raises
    ``ValidationFailed`` with the table's error code and the band at fault."""
    try:
        return Increments.from_data(bands).to_data()
    except IncrementTableError as exc:
        raise ValidationFailed(
            _("加价幅度表无效：%(problem)s") % {"problem": exc.message},
            code=exc.code,
            details={"band": exc.band},
        ) from None


def increment_table_in_use(table: IncrementTable) -> bool:
    """Whether a running lot with bids follows the table (its rules must not change)."""
    return (
        Lot.objects.filter(
            increment_table=table, status=LotStatus.ACTIVE, bid_count__gt=0, outcome=""
        )
        .filter(increments_override__isnull=True)
        .exists()
    )


@transaction.atomic
def increment_table_save(
    *,
    by: User | None,
    table: IncrementTable | None = None,
    name: str,
    bands: Any,
    is_default: bool = False,
) -> IncrementTable:
    """Create or change an increment table. Its bands must form a valid table; a table a
    running lot with bids follows cannot change its bands (``Conflict`` ``table_in_use``);
    made the default, the previous default stops being it."""
    bands = check_increment_bands(bands)
    name = " ".join((name or "").split())
    if not 0 < len(name) <= 60:
        raise ValidationFailed(_("请填写名称（最多 60 个字）。"), code="name_required")
    now = clock.now()
    if table is None or table.pk is None:
        table = table or IncrementTable()
        table.created_at = now
    elif table.bands != bands and increment_table_in_use(table):
        raise Conflict(
            _("有进行中且已有出价的拍品使用这张加价幅度表，不能修改。"), code="table_in_use"
        )
    if is_default:
        IncrementTable.objects.filter(is_default=True).exclude(pk=table.pk).update(is_default=False)
    table.name, table.bands, table.is_default, table.updated_at = name, bands, is_default, now
    table.save()
    audit_record(actor=by, action="increment_table.saved", target=table, data={"bands": bands})
    return table


# --- lots and sales -------------------------------------------------------------------------

# The fields that make a lot's rules: fixed once it has an accepted bid.
RULE_FIELDS = (
    "start_price_fen",
    "reserve_fen",
    "buy_now_fen",
    "deposit_fen",
    "starts_at",
    "scheduled_end_at",
    "hard_stop_at",
    "soft_close_minutes",
    "increment_table",
    "increments_override",
)
TEXT_FIELDS = (
    "title_zh",
    "title_en",
    "description_zh",
    "description_en",
    "estimate_low_fen",
    "estimate_high_fen",
)
LOT_FIELDS = ("sale", "number", "designer", "shop", "product", *TEXT_FIELDS, *RULE_FIELDS)


def _has_accepted_bids(lot: Lot) -> bool:
    """Whether any bid was ever accepted on the lot (retracted ones too: a replay still
    reads the bids after them under the rules they were placed under)."""
    return Bid.objects.filter(lot=lot, accepted=True).exists()


def _invalid(message: str, field: str, code: str = "invalid_lot") -> ValidationFailed:
    return ValidationFailed(message, code=code, details={"field": field})


def lot_check(lot: Lot) -> None:
    """Whether the (unsaved) ``lot`` can run: ``ValidationFailed`` naming the field
    (``details.field``). The rules must be valid for the engine; the deposit below the
    start price (it counts toward the price) and so must the sale's deposit; the shop
    approved; a linked product the shop's; estimates in order."""
    if not (lot.title_zh or "").strip():
        raise _invalid(_("请填写中文标题。"), "title_zh")
    if lot.shop_id is None or lot.shop.status != ShopStatus.APPROVED:
        raise _invalid(_("委托店铺须已开通。"), "shop")
    if lot.product_id is not None and lot.product.shop_id != lot.shop_id:
        raise _invalid(_("关联商品须属于委托店铺。"), "product")
    if lot.increments_override:
        check_increment_bands(lot.increments_override)
    try:
        lot_rules(lot)
    except engine.InvalidLotRules as exc:
        field = {
            "start_price_fen": "start_price_fen",
            "reserve_fen": "reserve_fen",
            "buy_now_fen": "buy_now_fen",
            "ends_at": "scheduled_end_at",
            "starts_at": "starts_at",
            "hard_stop": "hard_stop_at",
            "soft_close_seconds": "soft_close_minutes",
        }.get(exc.field, exc.field)
        raise _invalid(_("拍卖规则无效：%(problem)s") % {"problem": exc.message}, field) from None
    deposit = lot.deposit_fen
    if isinstance(deposit, bool) or not isinstance(deposit, int) or deposit < 0:
        raise _invalid(_("保证金须为不小于零的整数（分）。"), "deposit_fen")
    if deposit >= lot.start_price_fen:
        raise _invalid(_("保证金须低于起拍价。"), "deposit_fen")
    if lot.sale.deposit_fen >= lot.start_price_fen:
        raise _invalid(_("专场保证金须低于每件拍品的起拍价。"), "start_price_fen")
    low, high = lot.estimate_low_fen, lot.estimate_high_fen
    if low is not None and high is not None and low > high:
        raise _invalid(_("估价下限不能高于上限。"), "estimate_low_fen")


def _require_operator(by: User | None, perm: str) -> None:
    if by is not None and not by.has_perm(perm):
        raise PermissionDenied(_("只有运营人员可以安排拍卖。"), code="operator_only")


@transaction.atomic
def lot_create(*, by: User | None, **fields: Any) -> Lot:
    """Schedule a lot (``LOT_FIELDS``; the increment table defaults to the default one).
    ``by`` None is the system (the demo)."""
    _require_operator(by, "auctions.add_lot")
    unknown = set(fields) - set(LOT_FIELDS)
    if unknown:
        raise ValueError(f"not lot fields: {sorted(unknown)}")
    fields.setdefault("increment_table", increment_table_default())
    fields.setdefault("soft_close_minutes", settings.AUCTION_SOFT_CLOSE_MINUTES)
    lot = Lot(**fields, created_at=clock.now())
    lot.ends_at = lot.scheduled_end_at
    lot_check(lot)
    lot.save()
    audit_record(actor=by, action="lot.created", target=lot, to_state=lot.status)
    return lot


@transaction.atomic
def lot_update(*, lot: Lot, by: User | None, **fields: Any) -> Lot:
    """Change a lot. Its texts may change any time; its rules (``RULE_FIELDS``: prices,
    times, increments, deposit) and sale, number, shop and designer only while it is
    running without an accepted bid. Refused under the lot's lock: once its end has come
    (``LotEnded`` ``lot_ended``: by the clock, extensions included, or a buy-now, settled
    or not: a new end or price would reopen or change a result that is final), and once
    a bid was accepted (``Conflict`` ``lot_rules_fixed``)."""
    _require_operator(by, "auctions.change_lot")
    unknown = set(fields) - set(LOT_FIELDS)
    if unknown:
        raise ValueError(f"not lot fields: {sorted(unknown)}")
    lot, now = lot_locked(lot.pk)
    changing = {name: value for name, value in fields.items() if getattr(lot, name) != value}
    fixed = set(changing) - set(TEXT_FIELDS) - {"product"}
    if fixed:
        message = _("拍卖已截止，结果已定，拍卖规则不能再修改。")
        refuse_after_end(lot, now, message, fields=sorted(fixed))
    if fixed and _has_accepted_bids(lot):
        raise Conflict(
            _("拍品已有出价或已结束，拍卖规则不能再修改。"),
            code="lot_rules_fixed",
            details={"fields": sorted(fixed)},
        )
    for name, value in changing.items():
        setattr(lot, name, value)
    if "scheduled_end_at" in changing:
        lot.ends_at = lot.scheduled_end_at
    lot_check(lot)
    lot.version += 1
    lot.save()
    audit_record(actor=by, action="lot.changed", target=lot, data={"fields": sorted(changing)})
    if changing:
        publish_lot(lot, events=["lot_changed"])
    return lot


@transaction.atomic
def sale_schedule_apply(*, sale: AuctionSale, by: User | None) -> int:
    """Give the sale's lots its times: each starts with the sale and, by lot number, ends
    ``stagger_seconds`` after the one before, the first at the sale's end (a hard stop
    keeps its distance from the end). Lots with bids, and lots whose end has come (by the
    clock or settled, decided under each lot's lock: ``lot_ended``), keep theirs. Returns
    how many lots changed."""
    _require_operator(by, "auctions.change_lot")
    changed = 0
    lots = list(Lot.objects.filter(sale=sale).order_by("number", "id").values_list("pk", flat=True))
    for index, pk in enumerate(lots):
        lot, now = lot_locked(pk)
        if lot_ended(lot, now) or _has_accepted_bids(lot):
            continue
        end = sale.ends_at + timedelta(seconds=sale.stagger_seconds * index)
        if (lot.starts_at, lot.scheduled_end_at) == (sale.starts_at, end):
            continue
        if lot.hard_stop_at is not None:
            lot.hard_stop_at += end - lot.scheduled_end_at
        lot.starts_at, lot.scheduled_end_at, lot.ends_at = sale.starts_at, end, end
        lot_check(lot)
        lot.version += 1
        lot.save(
            update_fields=["starts_at", "scheduled_end_at", "ends_at", "hard_stop_at", "version"]
        )
        changed += 1
    audit_record(actor=by, action="sale.scheduled", target=sale, data={"lots_changed": changed})
    return changed
