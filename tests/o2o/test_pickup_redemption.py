"""核销 of booth pickups: partial redemption, serials that count once, reversal (冲正) within
its window, other counters refused, never beyond what is left; settlement after the window
completes the order the way a received order is (escrow released)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.core import clock
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.o2o import redemption, tasks
from designmall.o2o.redemption_models import Redemption, RedemptionReversal
from designmall.orders.models import OrderStatus
from tests.factories import make_shop, make_user
from tests.o2o.pickup_helpers import booth_order, local_noon, open_booth, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _noon():
    clock.set_frozen(local_noon())


def _redeem(redeemable, by, serial, units=None, items=None, device="ipad-1"):
    return redemption.redeem(
        redeemable=redeemable, by=by, serial=serial, device=device, units=units, items=items
    )


def _left(redeemable):
    return [item.remaining for item in redemption.items_of(redeemable)]


def test_two_of_three_now_and_the_last_later_picks_the_order_up():
    order, redeemable = booth_order(units=3)
    seller = order.shop.owner

    first = _redeem(redeemable, seller, "SER-00000001", units=2)

    assert not first.replayed and first.redemption.quantity == 2
    assert _left(redeemable) == [1]
    order.refresh_from_db()
    assert order.status == OrderStatus.READY_FOR_PICKUP  # its goods are at the booth
    _redeem(redeemable, seller, "SER-00000002", units=1)
    order.refresh_from_db()
    assert order.status == OrderStatus.PICKED_UP
    assert _left(redeemable) == [0]


def test_the_staff_member_and_the_device_are_recorded():
    order, redeemable = booth_order(units=1)
    member = staff_of(order.shop)

    done = _redeem(redeemable, member, "SER-00000010", units=1, device=" counter  2 ")

    stored = Redemption.objects.get(pk=done.redemption.pk)
    assert (stored.staff, stored.device) == (member, "counter 2")
    assert "redemption.made" in [e.action for e in audit_trail(redeemable)]


def test_a_retried_serial_counts_once_and_returns_the_first_answer():
    order, redeemable = booth_order(units=3)
    seller = order.shop.owner

    first = _redeem(redeemable, seller, "SER-00000020", units=2)
    again = _redeem(redeemable, seller, "SER-00000020", units=2)

    assert again.replayed and again.redemption == first.redemption
    assert Redemption.objects.count() == 1
    assert _left(redeemable) == [1]


def test_a_serial_used_for_another_request_is_refused():
    order, redeemable = booth_order(units=3)
    _redeem(redeemable, order.shop.owner, "SER-00000030", units=1)

    with pytest.raises(Conflict) as refused:
        _redeem(redeemable, order.shop.owner, "SER-00000030", units=2)

    assert refused.value.code == "serial_reused"


def test_more_than_is_left_is_refused_as_a_whole():
    order, redeemable = booth_order(units=3)
    _redeem(redeemable, order.shop.owner, "SER-00000040", units=2)

    with pytest.raises(Conflict) as refused:
        _redeem(redeemable, order.shop.owner, "SER-00000041", units=2)

    assert refused.value.code == "over_redemption"
    assert _left(redeemable) == [1]
    assert Redemption.objects.count() == 1


def test_items_are_redeemed_by_number_and_unknown_ones_refused():
    order, redeemable = booth_order(units=3)

    with pytest.raises(ValidationFailed) as refused:
        _redeem(redeemable, order.shop.owner, "SER-00000050", items={"7": 1})
    _redeem(redeemable, order.shop.owner, "SER-00000051", items={"1": 3})

    assert refused.value.code == "unknown_item"
    assert _left(redeemable) == [0]


def test_another_shops_seller_or_staff_is_refused():
    order, redeemable = booth_order(units=2)
    other = make_shop()
    strangers = [other.owner, staff_of(other), make_user()]

    for stranger in strangers:
        with pytest.raises(PermissionDenied) as refused:
            _redeem(redeemable, stranger, f"SER-X{stranger.pk:07d}", units=1)
        assert refused.value.code == "not_your_counter"
        with pytest.raises(PermissionDenied):
            redemption.redeemable_by_code(user=stranger, code=order.pickup_code)
    assert _left(redeemable) == [2]


def test_staff_find_the_pickup_by_the_code_however_it_is_typed():
    order, redeemable = booth_order(units=1)
    typed = order.pickup_code.lower()[:4] + " - " + order.pickup_code[4:]

    assert redemption.redeemable_by_code(user=order.shop.owner, code=typed) == redeemable
    with pytest.raises(NotFound):
        redemption.redeemable_by_code(user=order.shop.owner, code="ZZZZZZZZ")


def test_a_reversal_inside_the_window_gives_the_units_back_and_the_order_waits_again():
    order, redeemable = booth_order(units=2)
    seller = order.shop.owner
    _redeem(redeemable, seller, "SER-00000060", units=2)
    clock.advance(timedelta(minutes=29))

    reversal = redemption.redemption_reverse(
        serial="SER-00000060", by=seller, device="ipad-1", reason="handed the wrong box"
    )
    again = redemption.redemption_reverse(serial="SER-00000060", by=seller, device="ipad-1")

    assert again == reversal and RedemptionReversal.objects.count() == 1
    assert _left(redeemable) == [2]
    order.refresh_from_db()
    assert order.status == OrderStatus.READY_FOR_PICKUP
    redeemable.refresh_from_db()
    assert redeemable.redeemed_at is None


def test_a_reversal_outside_the_window_is_refused(settings):
    settings.O2O_REDEMPTION_REVERSAL_MINUTES = 30
    order, redeemable = booth_order(units=2)
    _redeem(redeemable, order.shop.owner, "SER-00000070", units=1)
    clock.advance(timedelta(minutes=30))

    with pytest.raises(Conflict) as refused:
        redemption.redemption_reverse(serial="SER-00000070", by=order.shop.owner, device="d1")

    assert refused.value.code == "reversal_window_closed"
    assert _left(redeemable) == [1]


def test_another_shops_staff_cannot_reverse():
    order, redeemable = booth_order(units=1)
    _redeem(redeemable, order.shop.owner, "SER-00000080", units=1)

    with pytest.raises(PermissionDenied):
        redemption.redemption_reverse(serial="SER-00000080", by=make_shop().owner, device="d")


def test_settlement_waits_for_the_window_then_completes_and_releases_escrow():
    order, redeemable = booth_order(units=1)
    _redeem(redeemable, order.shop.owner, "SER-00000090", units=1)

    assert tasks.booth_pickups_settle() == 0
    clock.advance(timedelta(minutes=31))
    assert tasks.booth_pickups_settle() == 1
    assert tasks.booth_pickups_settle() == 0

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.released_fen == order.total_fen
    with pytest.raises(Conflict):
        redemption.redemption_reverse(serial="SER-00000090", by=order.shop.owner, device="d")


def test_an_unpaid_order_cannot_be_redeemed():
    order, redeemable = booth_order(units=1, paid=False)

    with pytest.raises(Conflict) as refused:
        _redeem(redeemable, order.shop.owner, "SER-00000100", units=1)

    assert refused.value.code == "order_not_redeemable"


@pytest.mark.parametrize(
    ("serial", "device", "code"),
    [("short", "d", "invalid_serial"), ("SER-00000110", "  ", "device_required")],
)
def test_a_bad_serial_or_no_device_is_refused(serial, device, code):
    order, redeemable = booth_order(units=1)

    with pytest.raises(ValidationFailed) as refused:
        _redeem(redeemable, order.shop.owner, serial, units=1, device=device)

    assert refused.value.code == code


def test_pending_pickups_list_the_booths_orders_still_to_hand_over():
    from designmall.o2o.pickup import pending_pickups

    booth = open_booth()
    waiting, _r1 = booth_order(booth=booth, units=2)
    done, r2 = booth_order(booth=booth, units=1)
    _redeem(r2, booth.shop.owner, "SER-00000120", units=1)

    assert [r.order for r in pending_pickups(booth=booth)] == [waiting]
    assert done.pk != waiting.pk
