"""The door from both sides in a real browser: a visitor reserves a free lecture, opens the
ticket full screen and shows its QR code; a venue staff member assigned to the lecture's
check-in list types the QR text in on the scanner page and lets the visitor in (green),
and typing it again says the ticket already entered (red, with when and at which gate).

Same setup as test_browse.py: headless Chromium through Playwright against the live
server, one browser context per person, each logged in with a test client's session. The
clock is stopped ten minutes before the lecture starts, when reservations are still open
and the doors already are (it is shared with the live server's thread).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.test import Client

from designmall.core import clock
from designmall.events import ticketsign
from designmall.events.models import CheckIn, Reservation, ReservationStatus, Scan, Ticket
from tests.browser.test_browse import CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.events.checkin_kit import make_list, make_staff
from tests.factories import make_event, make_hall, make_session, make_user, make_venue

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]
SHANGHAI = ZoneInfo("Asia/Shanghai")
STARTS = datetime(2026, 11, 21, 14, 0, tzinfo=SHANGHAI)


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def lecture_and_door(transactional_db, live_server, settings, monkeypatch):
    # Playwright's sync API runs an event loop in this thread (see test_browse.page).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.EVENT_DOORS_OPEN_MINUTES = 60
    settings.DESIGN_WEEK_START = "2026-11-20"
    clock.set_frozen(STARTS - timedelta(minutes=10))
    lecture = make_session(
        event=make_event(kind="lecture", title_zh="日常的未来：材料讲座"),
        hall=make_hall(venue=make_venue(name_zh="北岸艺术中心"), name_zh="一号厅"),
        starts_at=STARTS,
        capacity=40,
    )
    visitor = make_user()
    staff = make_staff("检票员小李")
    door = make_list(lecture, staff=[staff], gate="东门", name="材料讲座")
    yield lecture, door, visitor, staff, live_server.url
    clock.reset()


def test_a_reserved_lecture_ticket_is_checked_in_once_on_the_scanner_page(lecture_and_door):
    lecture, door, visitor, staff, url = lecture_and_door
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(exist_ok=True)
    cookie = django_settings.SESSION_COOKIE_NAME
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)

        def phone_of(user):
            context = browser.new_context(
                base_url=url, viewport={"width": 390, "height": 844}, locale="zh-CN"
            )
            context.add_cookies([{"name": cookie, "value": _cookie(user), "url": url}])
            return context.new_page()

        # The visitor reserves one free seat and opens the ticket full screen.
        visitor_page = phone_of(visitor)
        visitor_page.goto(f"/events/s/{lecture.public_id}/")
        booking = visitor_page.locator('[data-when="open"]')
        booking.get_by_label("座位数").select_option("1")
        booking.get_by_role("button", name="免费预约").click()
        visitor_page.wait_for_url("**/me/reservations/rsv_*/")
        assert Reservation.objects.get(user=visitor).status == ReservationStatus.CONFIRMED
        ticket = Ticket.objects.get(user=visitor)

        visitor_page.goto("/me/tickets/")
        visitor_page.locator(f'[data-ticket="{ticket.public_id}"]').get_by_role(
            "link", name="全屏出示"
        ).click()
        visitor_page.wait_for_url(f"**/me/tickets/{ticket.public_id}/")
        expect(visitor_page.locator("[data-ticket-qr] svg")).to_be_visible()
        visitor_page.get_by_text("二维码内容").click()
        shown = visitor_page.locator("[data-ticket-payload]")
        expect(shown).to_be_visible()
        qr_text = shown.inner_text().strip()
        visitor_page.screenshot(path=str(SHOTS / "event-checkin-1-ticket.png"), full_page=True)
        # What the QR code says: this ticket of this session, genuinely signed.
        assert len(qr_text) == ticketsign.PAYLOAD_CHARS
        claims, _header, _signature = ticketsign.decode(qr_text)
        assert (claims.ticket_id, claims.session_id) == (ticket.public_id, lecture.public_id)

        # The staff member at the east door types the QR text in.
        staff_page = phone_of(staff)
        staff_page.goto("/scanner/")
        staff_page.get_by_text("材料讲座", exact=True).click()
        staff_page.wait_for_url(f"**/scanner/{door.public_id}/")
        result = staff_page.locator("[data-result]")
        code = staff_page.locator('input[name="payload"]')
        # The page has settled (its offline data downloaded) before the first scan, which
        # gets 15 s: on a loaded CI machine one sent among the page's first requests took
        # over 5 s (as in test_scanner.py).
        expect(staff_page.locator("[data-bundle-age]")).to_contain_text("1 张票", timeout=20_000)

        code.fill(qr_text)
        staff_page.get_by_role("button", name="检票").click()
        expect(result).to_have_class("scan-result scan-ok", timeout=15_000)
        expect(result).to_contain_text("验票通过，请入场。")
        expect(result).to_contain_text("日常的未来：材料讲座 · 11-21 14:00")
        expect(staff_page.locator("[data-figures]")).to_have_text("已入场 1 / 1，在场内 1")
        staff_page.screenshot(path=str(SHOTS / "event-checkin-2-in.png"), full_page=True)

        # The same code again: refused, saying when and where the ticket entered.
        code.fill(qr_text)
        staff_page.get_by_role("button", name="检票").click()
        expect(result).to_have_class("scan-result scan-bad")
        expect(result).to_contain_text("已于 13:50 在「东门」检票入场。")
        staff_page.screenshot(path=str(SHOTS / "event-checkin-3-again.png"), full_page=True)

        browser.close()

    entry = CheckIn.objects.get(ticket=ticket)
    assert (entry.gate, entry.checkin_list_id, entry.entries) == ("东门", door.pk, 1)
    first, second = Scan.objects.filter(ticket=ticket).order_by("id")
    assert (first.outcome, first.code, first.user_id) == ("accepted", qr_text, staff.pk)
    assert (second.outcome, second.duplicate_of_id) == ("already_checked_in", first.pk)
