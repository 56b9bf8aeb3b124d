"""A visitor reserves a free lecture in a real browser: the programme, the session page
with its seats left, the reserve form, and the e-ticket's QR code on the reservation and
on "my tickets".

Same setup as test_browse.py: headless Chromium through Playwright against the live
server; the visitor's session is the test client's login. The clock is stopped on the
second morning of the design week (it is shared with the live server's thread).
"""

# The events tests' fixtures are imported by name, so tests taking them redefine the names.
# ruff: noqa: F811

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings

from designmall.core import clock
from designmall.events.models import Reservation, ReservationStatus, Ticket
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (the browser)
from tests.events.conftest import _events_settings  # noqa: F401
from tests.factories import make_event, make_hall, make_session, make_user, make_venue

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def visitor_and_lecture(transactional_db, client, live_server, _events_settings):
    clock.set_frozen(datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI))
    venue = make_venue(name_zh="北岸艺术中心", name_en="North Bank Arts Centre")
    lecture = make_session(
        event=make_event(kind="lecture", title_zh="日常的未来：材料讲座"),
        hall=make_hall(venue=venue, name_zh="一号厅"),
        starts_at=datetime(2026, 11, 21, 14, 0, tzinfo=SHANGHAI),
        capacity=40,
    )
    visitor = make_user()
    client.force_login(visitor)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return visitor, lecture, cookie, live_server.url


def test_a_visitor_reserves_a_free_lecture_and_sees_the_ticket_qr(visitor_and_lecture, page):
    visitor, lecture, cookie, url = visitor_and_lecture
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": url}]
    )

    page.goto("/events/")
    assert page.locator('[aria-current="page"][data-day="2026-11-21"]').is_visible()
    page.screenshot(path=str(SHOTS / "events-1-programme.png"), full_page=True)
    page.locator(f'[data-session="{lecture.public_id}"]').click()

    page.wait_for_url(f"**/events/s/{lecture.public_id}/")
    assert page.locator("[data-seats-left]").inner_text() == "40"
    page.screenshot(path=str(SHOTS / "events-2-session.png"), full_page=True)
    booking = page.locator('[data-when="open"]')
    booking.get_by_label("座位数").select_option("1")
    booking.get_by_role("button", name="免费预约").click()

    page.wait_for_url("**/me/reservations/rsv_*/")
    ticket = Ticket.objects.get(user=visitor)
    assert page.locator(f'[data-ticket="{ticket.public_id}"] [data-ticket-qr] svg').is_visible()
    page.screenshot(path=str(SHOTS / "events-3-reservation.png"), full_page=True)
    assert Reservation.objects.get(user=visitor).status == ReservationStatus.CONFIRMED

    page.goto("/me/tickets/")
    assert page.locator(f'[data-ticket="{ticket.public_id}"] [data-ticket-qr] svg').is_visible()
    assert page.locator("[data-ticket-code]").inner_text() == ticket.public_id
    page.screenshot(path=str(SHOTS / "events-4-tickets.png"), full_page=True)
