"""A small show for the dashboard tests, built through the real services: two shops with a
booth each in two venues, visitors who scan, orders attributed offline and online (one not
yet attributed, one never paid), a partial refund booked in the ledger, tickets checked in
at both venues.

The week is 2026-11-20 … 2026-11-29 (``DESIGN_WEEK_START``); everything happens on its
first three days, local time (Asia/Shanghai)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from designmall.catalog.models import Shop
from designmall.core import clock
from designmall.events.models import Venue
from designmall.o2o import services, tasks
from designmall.o2o.models import Booth, Exhibit
from designmall.orders.models import Order
from designmall.orders.services import order_refund
from designmall.payments.models import Refund
from designmall.payments.services import refund_execute
from tests.events.checkin_kit import make_list, make_staff, payload, scan, tickets_of
from tests.factories import make_hall, make_product, make_session, make_shop, make_user, make_venue
from tests.o2o.test_booths import assign
from tests.orders.conftest import buy, orders_of, pay

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK_START = date(2026, 11, 20)
ANONYMOUS = "anon-browser-0123456789abcdef"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Local time on the week's ``day`` (1-based)."""
    return datetime(2026, 11, 19 + day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class World:
    shop_a: Shop
    shop_b: Shop
    venue_a: Venue
    venue_b: Venue
    booth_a: Booth
    booth_b: Booth
    exhibit_a: Exhibit
    offline_a: Order  # day 1, after a scan of booth A's exhibit
    online_a: Order  # day 2, no scan
    offline_b: Order  # day 2, after a scan of booth B; ¥20 refunded on day 3
    pending_b: Order  # day 3, paid, not attributed yet
    unpaid_a: Order  # day 3, never paid

    @property
    def paid(self) -> list[Order]:
        return [
            Order.objects.get(pk=o.pk)
            for o in (self.offline_a, self.online_a, self.offline_b, self.pending_b)
        ]


def _order(buyer, product, when: datetime, *, paid: bool = True) -> Order:
    clock.set_frozen(when)
    checkout = buy(buyer, (product.skus.get(), 1))
    if paid:
        pay(checkout)
    return orders_of(checkout)[0]


def _check_in(session, n: int, when: datetime) -> None:
    staff = make_staff()
    door = make_list(session, staff=[staff])
    clock.set_frozen(when)
    for ticket in tickets_of(session, n):
        scan(door, staff, payload(ticket))


def build_world() -> World:
    clock.set_frozen(at(1, 9))
    venue_a = make_venue(name_zh="东馆", name_en="East Hall")
    venue_b = make_venue(name_zh="西馆", name_en="West Hall")
    shop_a = make_shop(name_zh="木与光", name_en="Wood and Light")
    shop_b = make_shop(name_zh="玻璃屋", name_en="Glass House")
    booth_a = assign(shop=shop_a, venue=venue_a, number="A01")
    booth_b = assign(shop=shop_b, venue=venue_b, number="B01")
    product_a = make_product(shop=shop_a, skus=[(12_900, 20)])
    product_b = make_product(shop=shop_b, skus=[(35_000, 20)])
    exhibit_a = services.exhibit_create(
        booth=booth_a, by=shop_a.owner, kind="product", product=product_a.public_id
    )
    scanner_a, stranger, scanner_b, late = make_user(), make_user(), make_user(), make_user()

    clock.set_frozen(at(1, 10))
    services.scan_record(booth=booth_a, exhibit=exhibit_a, user=scanner_a, visitor_id=None)
    services.scan_record(booth=booth_a, exhibit=None, user=None, visitor_id=ANONYMOUS)
    services.scan_record(booth=booth_b, exhibit=None, user=scanner_b, visitor_id=None)
    offline_a = _order(scanner_a, product_a, at(1, 11))
    online_a = _order(stranger, product_a, at(2, 15))
    offline_b = _order(scanner_b, product_b, at(2, 16))
    clock.set_frozen(at(2, 17))
    assert tasks.orders_attribute() == 3
    pending_b = _order(late, product_b, at(3, 10))
    unpaid_a = _order(late, product_a, at(3, 11), paid=False)

    clock.set_frozen(at(3, 12))
    refund = order_refund(order=offline_b, amount_fen=2_000, reason="差价", by=shop_b.owner)
    refund_execute(refund=Refund.objects.get(pk=refund.pk))

    clock.set_frozen(at(1, 9))
    lecture_a = make_session(hall=make_hall(venue=venue_a), starts_at=at(1, 14), capacity=10)
    lecture_b = make_session(hall=make_hall(venue=venue_b), starts_at=at(2, 11), capacity=10)
    _check_in(lecture_a, 2, at(1, 13, 50))
    _check_in(lecture_b, 1, at(2, 10, 55))
    clock.set_frozen(at(3, 18))
    return World(
        shop_a=shop_a,
        shop_b=shop_b,
        venue_a=venue_a,
        venue_b=venue_b,
        booth_a=booth_a,
        booth_b=booth_b,
        exhibit_a=exhibit_a,
        offline_a=offline_a,
        online_a=online_a,
        offline_b=offline_b,
        pending_b=pending_b,
        unpaid_a=unpaid_a,
    )


def week_days() -> list[date]:
    return [WEEK_START + timedelta(days=n) for n in range(10)]
