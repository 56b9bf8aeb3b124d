"""The design week's event pages: the programme, sessions with live seats, reserving (free
and paid), the waiting list, reservations, my tickets with their QR codes, my events, the
home page's strip and the operators' attendance figures."""

# The events and payments tests' fixtures are imported by name, so tests taking them
# redefine the names.
# ruff: noqa: F811

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from designmall.core import clock
from designmall.events import signing, ticketsign
from designmall.events.models import (
    Notification,
    Reservation,
    ReservationStatus,
    Ticket,
    TicketStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from designmall.events.selectors import event_public_key, tickets_for_user
from designmall.events.services import (
    reservation_cancel,
    reservation_create,
    session_cancel,
    waitlist_join,
)
from designmall.payments.gateways import sandbox
from tests.events.conftest import (  # noqa: F401  (fixtures: events settings, the sandbox)
    _events_settings,
    _payments_settings,
    keys,
    pay,
    run_jobs,
    sandbox_key_dir,
    worker_transport,
)
from tests.factories import (
    make_designer,
    make_event,
    make_hall,
    make_operator,
    make_session,
    make_user,
    make_venue,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PROGRAMME = reverse("storefront:events")
MY_TICKETS = reverse("storefront:my_tickets")
MY_EVENTS = reverse("storefront:my_events")
ATTENDANCE = reverse("storefront:events_attendance")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Local time on the ``day``-th day of the design week (it starts 2026-11-20)."""
    return datetime(2026, 11, 19 + day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _in_the_week(_events_settings):
    """Tests run on the second morning of the design week, with the clock stopped."""
    clock.set_frozen(at(2, 8))


def url(name: str, obj) -> str:
    return reverse(f"storefront:{name}", args=[obj.public_id])


def shown_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def seat_options(page_text: str, select_id: str) -> list[str]:
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page_text, re.S)
    return re.findall(r'<option value="(\d+)">', select.group(1)) if select else []


@pytest.fixture
def visitor():
    return make_user()


@pytest.fixture
def week():
    """Two venues; a lecture (free) and a workshop (paid) on day 2, an exhibition on day 3."""
    north = make_venue(name_zh="北岸艺术中心", name_en="North Bank Arts Centre")
    south = make_venue(name_zh="南园展馆", name_en="South Garden Pavilion")
    lecture = make_event(
        kind="lecture",
        title_zh="日常的未来：材料讲座",
        title_en="The Future of Everyday: Materials",
        description_zh="一场关于材料的讲座。",
        speakers=[make_designer(name_zh="朱小杰", name_en="Zhu Xiaojie")],
    )
    workshop = make_event(kind="workshop", title_zh="竹编工作坊", title_en="Bamboo Weaving")
    exhibition = make_event(
        kind="exhibition", title_zh="椅子百年展", title_en="A Century of Chairs"
    )
    draft = make_event(kind="show", status="draft", title_zh="未发布的演出")
    hall_n = make_hall(venue=north, name_zh="一号厅", name_en="Hall One")
    hall_s = make_hall(venue=south, name_zh="主展厅", name_en="Main Hall")
    return {
        "north": north,
        "south": south,
        "lecture": make_session(event=lecture, hall=hall_n, starts_at=at(2, 14), capacity=3),
        "workshop": make_session(
            event=workshop, hall=hall_n, starts_at=at(2, 19), capacity=5, price_fen=8_800
        ),
        "exhibition": make_session(event=exhibition, hall=hall_s, starts_at=at(3, 10)),
        "draft": make_session(event=draft, hall=hall_s, starts_at=at(2, 20)),
        "lecture_event": lecture,
    }


# --- the programme ------------------------------------------------------------------------


def test_the_programme_opens_on_today_with_a_tab_for_each_day_of_the_week(client, week):
    page = client.get(PROGRAMME)
    assert page.status_code == 200
    assert page.text.count("data-day=") == 10
    assert 'aria-current="page" data-day="2026-11-21"' in page.text
    assert f'data-session="{week["lecture"].public_id}"' in page.text
    assert f'data-session="{week["workshop"].public_id}"' in page.text
    assert week["exhibition"].public_id not in page.text  # another day


def test_each_session_on_the_programme_shows_its_seats_left(client, week, visitor):
    reservation_create(session=week["lecture"], user=visitor, seats=2)
    page = client.get(PROGRAMME)
    assert "余 1 座" in page.text
    assert "余 5 座" in page.text


def test_the_programme_filters_by_day_venue_type_and_free(client, week):
    day3 = client.get(PROGRAMME, {"day": "2026-11-22"})
    assert week["exhibition"].public_id in day3.text
    assert week["lecture"].public_id not in day3.text

    south = client.get(PROGRAMME, {"day": "2026-11-21", "venue": week["south"].public_id})
    assert "这一天没有符合条件的场次。" in south.text

    workshops = client.get(PROGRAMME, {"kind": "workshop"})
    assert week["workshop"].public_id in workshops.text
    assert week["lecture"].public_id not in workshops.text

    free = client.get(PROGRAMME, {"free": "1"})
    assert week["lecture"].public_id in free.text
    assert week["workshop"].public_id not in free.text


def test_the_programme_takes_the_same_few_queries_however_many_sessions_it_shows(client, week):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PROGRAMME).status_code == 200
        return len(captured)

    queries()  # the header's categories are cached from now on
    few = queries()
    for hour in range(9, 21):
        make_session(starts_at=at(2, hour), event=make_event())
    assert queries() == few


def test_filter_values_that_mean_nothing_are_ignored(client, week):
    page = client.get(PROGRAMME, {"day": "2031-01-01", "venue": "vn_nope", "kind": "circus"})
    assert page.status_code == 200
    assert week["lecture"].public_id in page.text  # today, every venue and kind


def test_drafts_are_not_on_the_programme_nor_reachable(client, week):
    assert week["draft"].public_id not in client.get(PROGRAMME).text
    assert client.get(url("event_session", week["draft"])).status_code == 404
    assert client.get(url("event", week["draft"].event)).status_code == 404


def test_the_event_page_shows_its_speakers_and_sessions(client, week):
    later = make_session(event=week["lecture_event"], starts_at=at(5, 14))
    page = client.get(url("event", week["lecture_event"]))
    assert page.status_code == 200
    assert "日常的未来：材料讲座" in page.text
    assert "朱小杰" in page.text
    assert week["lecture"].public_id in page.text
    assert later.public_id in page.text


def test_the_pages_read_in_english(client, english, week):
    programme = client.get(PROGRAMME)
    assert "The Future of Everyday: Materials" in programme.text
    assert "North Bank Arts Centre" in programme.text
    session = client.get(url("event_session", week["lecture"]))
    assert "The Future of Everyday: Materials" in session.text
    assert "Hall One" in session.text
    assert client.get(url("event", week["lecture_event"])).status_code == 200


# --- a session ----------------------------------------------------------------------------


def test_the_session_page_shows_seats_left_and_polls_the_api_for_them(client, week, visitor):
    reservation_create(session=week["lecture"], user=visitor, seats=1)
    page = client.get(url("event_session", week["lecture"]))
    assert re.search(r"<strong data-seats-left>2</strong>", page.text)
    poll = re.search(r'data-seats-url="([^"]+)"', page.text).group(1)
    seats = client.get(poll).json()["seats"]
    assert (seats["left"], seats["capacity"], seats["booking"]) == (2, 3, "open")
    reservation_create(session=week["lecture"], user=make_user(), seats=2)
    assert client.get(poll).json()["seats"] == {
        **seats,
        "left": 0,
        "confirmed": 3,
        "booking": "full",
    }


def test_a_visitor_not_logged_in_is_asked_to_log_in_to_reserve(client, week):
    page = client.get(url("event_session", week["lecture"]))
    assert "登录后预约" in page.text
    response = client.post(url("event_reserve", week["lecture"]), {"seats": "1"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("storefront:login"))
    assert "next=" + url("event_session", week["lecture"]).replace("/", "%2F") in response.url
    assert not Reservation.objects.exists()


def test_the_reserve_form_offers_seats_up_to_what_is_left_of_the_limit(client, week, visitor):
    client.force_login(visitor)
    page = client.get(url("event_session", week["workshop"]))
    assert seat_options(page.text, "ev-seats") == ["1", "2", "3", "4"]
    reservation_create(session=week["lecture"], user=visitor, seats=1)
    page = client.get(url("event_session", week["lecture"]))
    assert seat_options(page.text, "ev-seats") == ["1", "2", "3"]


def test_reserving_a_free_session_shows_the_tickets_with_their_qr_codes(client, week, visitor):
    client.force_login(visitor)
    response = client.post(url("event_reserve", week["lecture"]), {"seats": "2"}, follow=True)
    reservation = Reservation.objects.get(user=visitor)
    assert response.redirect_chain[-1][0] == url("reservation", reservation)
    assert "预约成功，2 张电子票已放入「我的票」。" in shown_messages(response)
    assert reservation.status == ReservationStatus.CONFIRMED
    tickets = list(tickets_for_user(user=visitor))
    assert len(tickets) == 2
    for ticket in tickets:
        assert f'data-ticket="{ticket.public_id}"' in response.text
    assert len(re.findall(r"data-ticket-qr><svg", response.text)) == 2


def test_a_ticket_page_shows_a_qr_payload_that_verifies_with_the_published_key(
    client, week, visitor
):
    reservation_create(session=week["lecture"], user=visitor, seats=1)
    ticket = tickets_for_user(user=visitor).get()
    client.force_login(visitor)
    page = client.get(url("my_ticket", ticket))
    payload = re.search(r"data-ticket-payload>([^<]+)<", page.text).group(1)
    claims = ticketsign.verify(
        payload,
        ticketsign.public_key_from_b64(event_public_key().public_key),
        now=week["lecture"].starts_at,
    )
    assert claims.ticket_id == ticket.public_id
    assert payload == signing.ticket_payload(ticket)
    assert "data-ticket-qr><svg" in page.text


def test_reserving_a_paid_session_goes_to_the_cashier_then_back_to_the_tickets(
    client, week, visitor
):
    client.force_login(visitor)
    response = client.post(url("event_reserve", week["workshop"]), {"seats": "2"})
    reservation = Reservation.objects.get(user=visitor)
    assert reservation.status == ReservationStatus.PENDING_PAYMENT
    assert response.status_code == 302
    assert response.url == sandbox.cashier_url(reservation.payment.out_trade_no)

    back = client.get(
        reverse("payments:return"), {"out_trade_no": reservation.payment.out_trade_no}
    )
    assert url("reservation", reservation) in back.text
    pending = client.get(url("reservation", reservation))
    assert url("reservation_pay", reservation) in pending.text
    assert "¥176.00" in pending.text

    pay(reservation)
    paid = client.get(url("reservation", reservation))
    assert 'data-status="confirmed"' in paid.text
    assert 'data-payment-status="paid"' in paid.text
    assert paid.text.count("data-ticket-qr") == 2
    assert url("reservation_pay", reservation) not in paid.text


@pytest.mark.parametrize(
    ("seats", "message"),
    [
        ("0", "座位数必须是正整数。"),
        ("-2", "座位数必须是正整数。"),
        ("two", "座位数必须是正整数。"),
        ("", "座位数必须是正整数。"),
        ("5", "每人最多预约 4 个座位。"),
        ("99999999999999999999", "每人最多预约 4 个座位。"),
    ],
)
def test_seat_counts_that_cannot_be_reserved_are_refused_with_a_message(
    client, week, visitor, seats, message
):
    client.force_login(visitor)
    response = client.post(url("event_reserve", week["workshop"]), {"seats": seats}, follow=True)
    assert message in shown_messages(response)
    assert response.redirect_chain[-1][0] == url("event_session", week["workshop"])
    assert not Reservation.objects.exists()


def test_asking_for_more_seats_than_are_left_says_how_many_are(client, week, visitor):
    reservation_create(session=week["lecture"], user=make_user(), seats=2)
    client.force_login(visitor)
    response = client.post(url("event_reserve", week["lecture"]), {"seats": "2"}, follow=True)
    assert "只剩 1 个座位，可以少约几个或加入候补名单。" in shown_messages(response)


def test_a_full_session_offers_its_waiting_list_and_shows_the_place_in_it(client, week, visitor):
    reservation_create(session=week["lecture"], user=make_user(), seats=3)
    first = make_user()
    waitlist_join(session=week["lecture"], user=first, seats=1)
    client.force_login(visitor)
    page = client.get(url("event_session", week["lecture"]))
    assert 'data-booking="full"' in page.text
    assert url("event_waitlist_join", week["lecture"]) in page.text
    assert re.search(r'<div data-when="open" hidden>', page.text)

    response = client.post(url("event_waitlist_join", week["lecture"]), {"seats": "2"}, follow=True)
    assert "已加入候补名单，当前排第 2 位。" in shown_messages(response)
    assert "您在候补名单第 2 位（2 个座位）。" in response.text
    assert url("event_waitlist_leave", week["lecture"]) in response.text


def test_joining_the_waiting_list_while_seats_are_left_says_to_reserve(client, week, visitor):
    client.force_login(visitor)
    response = client.post(url("event_waitlist_join", week["lecture"]), {"seats": "1"}, follow=True)
    assert "还有座位，请直接预约。" in shown_messages(response)
    assert not WaitlistEntry.objects.exists()


def test_seats_offered_from_the_waiting_list_are_claimed_into_tickets(client, week, visitor):
    holder = make_user()
    held = reservation_create(session=week["lecture"], user=holder, seats=3)
    waitlist_join(session=week["lecture"], user=visitor, seats=1)
    reservation_cancel(reservation=held, by=holder)
    client.force_login(visitor)
    page = client.get(url("event_session", week["lecture"]))
    assert 'data-waitlist="offered"' in page.text
    assert "有 1 个座位为您保留至 11-21 10:00，请在此之前领取。" in page.text

    response = client.post(url("event_waitlist_claim", week["lecture"]), follow=True)
    reservation = Reservation.objects.get(user=visitor)
    assert response.redirect_chain[-1][0] == url("reservation", reservation)
    assert reservation.status == ReservationStatus.CONFIRMED
    assert response.text.count("data-ticket-qr") == 1


def test_declining_an_offer_passes_the_seats_on(client, week, visitor):
    holder = make_user()
    held = reservation_create(session=week["lecture"], user=holder, seats=3)
    waitlist_join(session=week["lecture"], user=visitor, seats=1)
    next_in_line = make_user()
    waitlist_join(session=week["lecture"], user=next_in_line, seats=1)
    reservation_cancel(reservation=held, by=holder)
    client.force_login(visitor)
    response = client.post(url("event_waitlist_leave", week["lecture"]), follow=True)
    assert "已放弃候补座位。" in shown_messages(response)
    assert WaitlistEntry.objects.get(user=next_in_line).status == WaitlistStatus.OFFERED


def test_leaving_a_waiting_list_one_is_not_on_says_so(client, week, visitor):
    client.force_login(visitor)
    response = client.post(url("event_waitlist_leave", week["lecture"]), follow=True)
    assert "您不在这个场次的候补名单中。" in shown_messages(response)


def test_before_reservations_open_the_page_says_when_they_do(client, visitor):
    later = make_session(starts_at=at(6, 14), reservation_opens_at=at(3, 10))
    client.force_login(visitor)
    page = client.get(url("event_session", later))
    assert "预约将于 2026-11-22 10:00 开放。" in page.text
    assert re.search(r'<div data-when="not_open">', page.text)
    response = client.post(url("event_reserve", later), {"seats": "1"}, follow=True)
    assert "预约尚未开放，将于 2026-11-22 10:00 开放。" in shown_messages(response)


def test_a_cancelled_session_says_so_and_cannot_be_reserved(client, week, visitor):
    session_cancel(session=week["lecture"], by=make_operator(), reason="主讲人行程变更")
    client.force_login(visitor)
    page = client.get(url("event_session", week["lecture"]))
    assert "该场次已取消。 主讲人行程变更" in page.text
    assert "已取消" in client.get(PROGRAMME).text


# --- a reservation ------------------------------------------------------------------------


@pytest.fixture
def paid_later(week, visitor):
    """A paid workshop reservation on day 4: still cancellable with a full refund."""
    session = make_session(starts_at=at(4, 19), price_fen=12_000, capacity=5)
    reservation = reservation_create(session=session, user=visitor, seats=1)
    pay(reservation)
    run_jobs()
    reservation.refresh_from_db()
    return reservation


def test_cancelling_before_the_free_cancellation_deadline_refunds_in_full(
    client, visitor, paid_later
):
    client.force_login(visitor)
    page = client.get(url("reservation", paid_later))
    assert "现在取消将退还 ¥120.00，电子票随即作废。" in page.text
    response = client.post(url("reservation_cancel", paid_later), follow=True)
    assert "预约已取消，¥120.00 将原路退回。" in shown_messages(response)
    paid_later.refresh_from_db()
    assert (paid_later.status, paid_later.refund_fen) == (ReservationStatus.CANCELLED, 12_000)
    assert 'data-status="revoked"' in response.text
    assert "data-ticket-qr" not in response.text


def test_cancelling_after_the_deadline_says_there_is_no_refund(client, visitor, week):
    reservation = reservation_create(session=week["workshop"], user=visitor, seats=1)
    pay(reservation)
    client.force_login(visitor)
    page = client.get(url("reservation", reservation))
    assert "免费退票已于 2026-11-20 19:00 截止，现在取消不退款。" in page.text
    response = client.post(url("reservation_cancel", reservation), follow=True)
    assert "预约已取消。" in shown_messages(response)


def test_a_reservation_whose_hold_ran_out_can_no_longer_be_paid(client, week, visitor):
    reservation = reservation_create(session=week["workshop"], user=visitor, seats=1)
    clock.advance(timedelta(minutes=16))
    client.force_login(visitor)
    page = client.get(url("reservation", reservation))
    assert url("reservation_pay", reservation) not in page.text
    response = client.post(url("reservation_pay", reservation), follow=True)
    assert "这个预约已不能付款。" in shown_messages(response)


def test_another_visitors_reservation_and_tickets_are_404(client, week, visitor):
    reservation = reservation_create(session=week["lecture"], user=visitor, seats=1)
    ticket = tickets_for_user(user=visitor).get()
    client.force_login(make_user())
    assert client.get(url("reservation", reservation)).status_code == 404
    assert client.post(url("reservation_cancel", reservation)).status_code == 404
    assert client.post(url("reservation_pay", reservation)).status_code == 404
    assert client.get(url("my_ticket", ticket)).status_code == 404
    assert ticket.public_id not in client.get(MY_TICKETS).text
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED


@pytest.mark.parametrize("name", ["my_tickets", "my_events"])
def test_my_pages_need_a_login(client, name):
    response = client.get(reverse(f"storefront:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("storefront:login"))


# --- my tickets, my events ----------------------------------------------------------------


def test_my_tickets_show_each_ticket_with_its_qr_session_venue_hall_and_time(client, week, visitor):
    reservation_create(session=week["lecture"], user=visitor, seats=1)
    cancelled = reservation_create(session=week["exhibition"], user=visitor, seats=1)
    reservation_cancel(reservation=cancelled, by=visitor)
    client.force_login(visitor)
    page = client.get(MY_TICKETS)
    valid = Ticket.objects.get(status=TicketStatus.VALID)
    revoked = Ticket.objects.get(status=TicketStatus.REVOKED)
    card = re.search(rf'<article[^>]*data-ticket="{valid.public_id}".*?</article>', page.text, re.S)
    for text in ("日常的未来：材料讲座", "北岸艺术中心", "一号厅", "14:00", "<svg"):
        assert text in card.group(0)
    marked = re.search(
        rf'<article[^>]*data-ticket="{revoked.public_id}" data-status="revoked".*?</article>',
        page.text,
        re.S,
    )
    assert "已作废" in marked.group(0)
    assert "<svg" not in marked.group(0)


def test_my_tickets_read_in_english(client, english, week, visitor):
    reservation_create(session=week["lecture"], user=visitor, seats=1)
    client.force_login(visitor)
    page = client.get(MY_TICKETS)
    assert "The Future of Everyday: Materials" in page.text
    assert "North Bank Arts Centre" in page.text
    assert len(re.findall(r"data-ticket-qr><svg", page.text)) == 1


def test_my_events_lists_reservations_waiting_places_and_messages(client, week, visitor):
    reservation = reservation_create(session=week["workshop"], user=visitor, seats=1)
    reservation_create(session=week["lecture"], user=make_user(), seats=3)
    entry = waitlist_join(session=week["lecture"], user=visitor, seats=1)
    session_cancel(session=week["lecture"], by=make_operator(), reason="场地维修")
    run_jobs()
    client.force_login(visitor)
    page = client.get(MY_EVENTS)
    assert f'data-reservation="{reservation.public_id}"' in page.text
    assert f'data-entry="{entry.public_id}"' in page.text
    message = Notification.objects.get(user=visitor)
    assert f'data-notification="{message.public_id}" data-read="0"' in page.text
    assert "场地维修" in page.text

    client.post(url("notification_read", message))
    message.refresh_from_db()
    assert message.read_at == clock.now()
    assert f'data-notification="{message.public_id}" data-read="1"' in client.get(MY_EVENTS).text


def test_reading_all_messages_marks_each_read(client, week, visitor):
    for name in ("lecture", "workshop"):
        reservation_create(session=week[name], user=visitor, seats=1)
        session_cancel(session=week[name], by=make_operator(), reason="天气原因")
    run_jobs()
    client.force_login(visitor)
    response = client.post(reverse("storefront:notifications_read_all"), follow=True)
    assert "通知已全部标为已读。" in shown_messages(response)
    assert not Notification.objects.filter(user=visitor, read_at__isnull=True).exists()


def test_another_visitors_message_cannot_be_marked_read(client, week, visitor):
    reservation_create(session=week["lecture"], user=visitor, seats=1)
    session_cancel(session=week["lecture"], by=make_operator(), reason="天气原因")
    run_jobs()
    client.force_login(make_user())
    message = Notification.objects.get(user=visitor)
    assert client.post(url("notification_read", message)).status_code == 404
    assert Notification.objects.get(pk=message.pk).read_at is None


def test_the_account_menu_links_to_my_events(client, visitor):
    client.force_login(visitor)
    assert f'href="{MY_EVENTS}"' in client.get(reverse("storefront:orders")).text


# --- the home page ------------------------------------------------------------------------


def test_the_home_page_shows_whats_on_today_once_per_event(client, week):
    second_entry = make_session(
        event=week["lecture_event"], hall=week["lecture"].hall, starts_at=at(2, 16)
    )
    page = client.get(reverse("storefront:home"))
    strip = re.search(r"<section[^>]*data-home-events>.*?</section>", page.text, re.S).group(0)
    assert "今天在设计周" in strip
    assert week["lecture"].public_id in strip
    assert second_entry.public_id not in strip  # the same event once
    assert week["workshop"].public_id in strip
    assert week["draft"].public_id not in strip


def test_before_the_week_the_home_page_shows_the_opening_day(client, week):
    clock.set_frozen(at(-3, 12))
    first = make_session(starts_at=at(1, 10))
    page = client.get(reverse("storefront:home"))
    assert "开幕日活动" in page.text
    assert first.public_id in page.text


# --- attendance (operators) ---------------------------------------------------------------


def test_attendance_is_for_operators_only(client, visitor):
    response = client.get(ATTENDANCE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("storefront:login"))
    client.force_login(visitor)
    assert client.get(ATTENDANCE).status_code == 403
    client.force_login(make_operator())
    assert client.get(ATTENDANCE).status_code == 200


def test_attendance_counts_each_sessions_reservations_and_seats_per_hour(client, week):
    lecture, workshop = week["lecture"], week["workshop"]
    reservation_create(session=lecture, user=make_user(), seats=2)
    gone = reservation_create(session=lecture, user=(leaver := make_user()), seats=1)
    reservation_cancel(reservation=gone, by=leaver)
    paid = reservation_create(session=workshop, user=make_user(), seats=2)
    pay(paid)
    reservation_create(session=workshop, user=make_user(), seats=3)  # held for payment
    client.force_login(make_operator())
    page = client.get(ATTENDANCE, {"day": "2026-11-21"})

    row = re.search(rf'<tr data-session="{lecture.public_id}".*?</tr>', page.text, re.S).group(0)
    assert 'data-confirmed="2"' in row and 'data-held="0"' in row
    assert 'data-cancelled="1"' in row
    row = re.search(rf'<tr data-session="{workshop.public_id}".*?</tr>', page.text, re.S).group(0)
    assert 'data-confirmed="2"' in row and 'data-held="3"' in row
    assert week["exhibition"].public_id not in page.text

    bars = dict(re.findall(r'<g data-hour="(\d+)" data-value="(\d+)">', page.text))
    assert bars == {str(h): "0" for h in range(14, 20)} | {"14": "2", "19": "5"}


def test_attendance_of_the_whole_week_and_one_venue(client, week):
    client.force_login(make_operator())
    page = client.get(ATTENDANCE, {"day": "all", "venue": week["south"].public_id})
    assert week["exhibition"].public_id in page.text
    assert week["lecture"].public_id not in page.text


def test_attendance_has_a_checked_in_column_exactly_when_check_in_exists(client, week):
    from django.apps import apps

    try:
        apps.get_model("events", "CheckIn")
        installed = True
    except LookupError:
        installed = False
    client.force_login(make_operator())
    page = client.get(ATTENDANCE, {"day": "2026-11-21"})
    assert ("已入场" in page.text) is installed
    assert ('data-checked-in="0"' in page.text) is installed


def test_attendance_reads_in_english(client, english, week):
    client.force_login(make_operator())
    page = client.get(ATTENDANCE, {"day": "2026-11-21"})
    assert page.status_code == 200
    assert "The Future of Everyday: Materials" in page.text
