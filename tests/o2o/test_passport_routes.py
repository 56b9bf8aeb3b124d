"""Routes and their rewards: completion, a reward once per visitor, each kind of reward."""

from __future__ import annotations

import pytest
from django.utils import timezone

from designmall.core import clock
from designmall.events.models import Reservation, ReservationStatus, Session
from designmall.o2o import passport
from designmall.o2o.passport_models import GrantStatus, RewardGrant
from designmall.promotions.models import Coupon
from tests.events.checkin_kit import at_the_door, make_list, make_staff, payload, scan, tickets_of
from tests.factories import make_session, make_user
from tests.promotions.conftest import make_platform_coupon

from .passport_kit import coupon, gift, make_booth, make_route, seat, stamp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.set_frozen(timezone.now().replace(microsecond=0))
    yield
    clock.reset()


def test_a_route_is_completed_by_the_stamp_that_reaches_its_count():
    booths = [make_booth() for _ in range(5)]
    route = make_route(booths=booths, needed=3, rewards=[gift()])
    user = make_user()
    assert stamp(user, booths[0]).completed == []
    assert stamp(user, booths[1]).completed == []
    result = stamp(user, booths[2])
    assert result.completed == [route]
    assert [g.status for g in result.grants] == [GrantStatus.GRANTED]


def test_progress_shows_on_the_passport():
    booths = [make_booth() for _ in range(3)]
    make_route(booths=booths)
    user = make_user()
    stamp(user, booths[0])
    (shown,) = passport.passport_view(user=user).routes
    assert (shown.have, shown.needed, shown.complete) == (1, 3, False)


def test_stamps_beyond_the_count_grant_nothing_more():
    booths = [make_booth() for _ in range(4)]
    make_route(booths=booths, needed=2, rewards=[gift()])
    user = make_user()
    for booth in booths:
        stamp(user, booth)
    assert RewardGrant.objects.filter(passport__user=user).count() == 1


def test_a_reward_is_granted_once_per_visitor_and_to_each_visitor():
    booths = [make_booth() for _ in range(2)]
    make_route(booths=booths, rewards=[gift()])
    one, two = make_user(), make_user()
    for user in (one, two):
        for booth in booths:
            stamp(user, booth)
            stamp(user, booth)
    assert RewardGrant.objects.filter(passport__user=one).count() == 1
    assert RewardGrant.objects.filter(passport__user=two).count() == 1


def test_a_gift_reward_has_a_claim_code_for_the_information_desk():
    booth = make_booth()
    make_route(booths=[booth], rewards=[gift()])
    (grant,) = stamp(make_user(), booth).grants
    assert grant.status == GrantStatus.GRANTED
    assert len(grant.claim_code) == 8
    assert grant.claim_code_printed.replace("-", "") == grant.claim_code


def test_a_coupon_reward_appears_in_the_buyers_coupons():
    template = make_platform_coupon(distribution="codes")
    booth = make_booth()
    make_route(booths=[booth], rewards=[coupon(template)])
    user = make_user()
    (grant,) = stamp(user, booth).grants
    (held,) = Coupon.objects.filter(buyer=user)
    assert grant.coupon == held and held.template == template
    template.refresh_from_db()
    assert template.remaining == template.total_quantity - 1


def test_a_coupon_that_ran_out_is_recorded_unavailable_once():
    template = make_platform_coupon(total_quantity=1)
    booth = make_booth()
    make_route(booths=[booth], rewards=[coupon(template)])
    stamp(make_user(), booth)
    user = make_user()
    (grant,) = stamp(user, booth).grants
    assert (grant.status, grant.refusal) == (GrantStatus.UNAVAILABLE, "coupon_sold_out")
    assert not Coupon.objects.filter(buyer=user).exists()


def test_a_seat_reward_reserves_a_free_seat_at_the_lecture():
    lecture = make_session(price_fen=8_000, capacity=2)
    booth = make_booth()
    make_route(booths=[booth], rewards=[seat(lecture)])
    user = make_user()
    (grant,) = stamp(user, booth).grants
    reservation = grant.reservation
    assert reservation.user == user and reservation.status == ReservationStatus.CONFIRMED
    assert reservation.amount_fen == 0 and reservation.tickets.count() == 1
    assert Session.objects.get(pk=lecture.pk).confirmed == 1


def test_a_seat_reward_respects_the_lectures_capacity():
    lecture = make_session(capacity=1)
    booth = make_booth()
    make_route(booths=[booth], rewards=[seat(lecture)])
    stamp(make_user(), booth)
    (grant,) = stamp(make_user(), booth).grants
    assert (grant.status, grant.refusal) == (GrantStatus.UNAVAILABLE, "session_full")
    assert Reservation.objects.filter(session=lecture).count() == 1
    assert Session.objects.get(pk=lecture.pk).confirmed == 1


def test_an_event_check_in_counts_towards_a_route(django_capture_on_commit_callbacks):
    booth, session = make_booth(), make_session()
    make_route(booths=[booth], events=[session.event], rewards=[gift()])
    user = make_user()
    stamp(user, booth)
    (ticket,) = tickets_of(session, user=user)
    staff = make_staff()
    door = make_list(session, staff=[staff])
    at_the_door(session)
    with django_capture_on_commit_callbacks(execute=True):
        scan(door, staff, payload(ticket))
    assert RewardGrant.objects.filter(passport__user=user, status="granted").count() == 1


def test_a_reward_added_after_completion_is_granted_when_the_passport_opens():
    booth = make_booth()
    route = make_route(booths=[booth])
    user = make_user()
    stamp(user, booth)
    route.rewards.create(kind="gift", gift_zh="贴纸", gift_en="Stickers")
    assert len(passport.passport_settle(user=user)) == 1
    assert passport.passport_settle(user=user) == []


def test_an_inactive_route_grants_nothing():
    booth = make_booth()
    route = make_route(booths=[booth], rewards=[gift()])
    route.is_active = False
    route.save()
    assert stamp(make_user(), booth).grants == []


def test_a_gift_is_collected_at_the_information_desk_through_the_redemption_flow():
    from designmall.accounts.roles import Role
    from designmall.core.errors import PermissionDenied
    from designmall.o2o import redemption

    booth = make_booth()
    make_route(booths=[booth], rewards=[gift()])
    (grant,) = stamp(make_user(), booth).grants
    desk = make_user(role=Role.VENUE_STAFF)
    found = redemption.redeemable_by_code(user=desk, code=grant.claim_code)
    assert found.kind == "gift" and found.shop_id is None

    with pytest.raises(PermissionDenied):
        redemption.redeemable_by_code(user=make_user(), code=grant.claim_code)
    done = redemption.redeem(
        redeemable=found, by=desk, serial="desk-0001-aa", device="desk-1", units=1
    )
    again = redemption.redeem(
        redeemable=found, by=desk, serial="desk-0001-aa", device="desk-1", units=1
    )
    assert done.redemption.pk == again.redemption.pk
    found.refresh_from_db()
    assert found.redeemed_at is not None
