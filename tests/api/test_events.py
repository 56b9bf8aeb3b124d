"""The events API: the programme, live seats, reservations, waiting lists, tickets with
their signed QR payloads, the inbox, and the keys and revocations scanners download."""

# The events and payments tests' fixtures are imported by name, so tests taking them
# redefine the names.
# ruff: noqa: F811

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designmall.core import clock
from designmall.events import ticketsign
from designmall.events.models import Reservation, ReservationStatus, Ticket, WaitlistStatus
from designmall.events.services import (
    reservation_cancel,
    reservation_create,
    session_cancel,
    waitlist_join,
)
from designmall.payments.gateways import sandbox
from tests.api.conftest import ApiClient, assert_error, invalid_fields
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
ABSENT_SESSION = "ses_0000000000000000"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Local time on the ``day``-th day of the design week (it starts 2026-11-20)."""
    return datetime(2026, 11, 19 + day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _in_the_week(_events_settings):
    clock.set_frozen(at(2, 8))


@pytest.fixture
def visitor():
    return make_user()


@pytest.fixture
def me(api_as, visitor) -> ApiClient:
    return api_as(visitor)


@pytest.fixture
def week():
    north = make_venue(name_zh="北岸艺术中心", name_en="North Bank Arts Centre")
    south = make_venue(name_zh="南园展馆", name_en="South Garden Pavilion")
    lecture = make_event(
        kind="lecture",
        title_zh="材料讲座",
        title_en="Materials",
        speakers=[make_designer(name_zh="朱小杰", name_en="Zhu Xiaojie")],
    )
    hall_n = make_hall(venue=north, name_zh="一号厅", name_en="Hall One")
    hall_s = make_hall(venue=south)
    return {
        "north": north,
        "south": south,
        "lecture": make_session(event=lecture, hall=hall_n, starts_at=at(2, 14), capacity=3),
        "workshop": make_session(
            event=make_event(kind="workshop"),
            hall=hall_n,
            starts_at=at(2, 19),
            capacity=5,
            price_fen=8_800,
        ),
        "exhibition": make_session(
            event=make_event(kind="exhibition"), hall=hall_s, starts_at=at(3, 10)
        ),
        "draft": make_session(event=make_event(status="draft"), hall=hall_s, starts_at=at(2, 9)),
        "later": make_session(event=lecture, hall=hall_n, starts_at=at(4, 14), price_fen=5_000),
    }


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def ids(items) -> list[str]:
    return [item["public_id"] for item in items]


# --- the programme ------------------------------------------------------------------------


def test_the_programme_is_public_and_ordered_by_start(anon, week):
    response = anon.get("/events/programme")
    assert response.status_code == 200
    body = response.json()
    assert ids(body["items"]) == [
        week[name].public_id for name in ("lecture", "workshop", "exhibition", "later")
    ]
    assert body["total"] == 4
    first = body["items"][0]
    assert first["event"]["title_en"] == "Materials"
    assert first["venue"]["name_en"] == "North Bank Arts Centre"
    assert first["hall"]["name_zh"] == "一号厅"
    assert (first["seats_left"], first["booking"], first["is_free"]) == (3, "open", True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"day": "2026-11-21"}, ["lecture", "workshop"]),
        ({"kind": "exhibition"}, ["exhibition"]),
        ({"free": "true"}, ["lecture", "exhibition"]),
        ({"free": "false"}, ["workshop", "later"]),
        ({"day": "2026-11-21", "free": "false"}, ["workshop"]),
    ],
)
def test_the_programme_filters(anon, week, params, expected):
    body = anon.get("/events/programme", params).json()
    assert ids(body["items"]) == [week[name].public_id for name in expected]


def test_the_programme_filters_by_venue_and_event(anon, week):
    south = anon.get("/events/programme", {"venue": week["south"].public_id}).json()
    assert ids(south["items"]) == [week["exhibition"].public_id]
    lecture = week["lecture"].event.public_id
    assert ids(anon.get("/events/programme", {"event": lecture}).json()["items"]) == [
        week["lecture"].public_id,
        week["later"].public_id,
    ]


def test_the_programme_is_paginated(anon, week):
    body = anon.get("/events/programme", {"per_page": 3, "page": 2}).json()
    assert (ids(body["items"]), body["pages"]) == ([week["later"].public_id], 2)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"day": "yesterday"}, "day"),
        ({"kind": "circus"}, "kind"),
        ({"venue": "x"}, "venue"),
        ({"per_page": 1000}, "per_page"),
        ({"page": 0}, "page"),
    ],
)
def test_bad_programme_filters_are_invalid(anon, week, params, field):
    assert invalid_fields(anon.get("/events/programme", params)) == {field}


def test_cancelled_sessions_are_listed_unless_left_out(anon, week):
    session_cancel(session=week["workshop"], by=make_operator(), reason="天气原因")
    listed = anon.get("/events/programme", {"day": "2026-11-21"}).json()["items"]
    assert [(s["public_id"], s["status"], s["booking"]) for s in listed][1] == (
        week["workshop"].public_id,
        "cancelled",
        "cancelled",
    )
    kept = anon.get("/events/programme", {"day": "2026-11-21", "include_cancelled": "false"})
    assert ids(kept.json()["items"]) == [week["lecture"].public_id]


def test_venues_come_with_their_halls(anon, week):
    venues = anon.get("/events/venues").json()
    assert [v["name_en"] for v in venues] == ["North Bank Arts Centre", "South Garden Pavilion"]
    assert venues[0]["halls"][0]["name_zh"] == "一号厅"


def test_an_event_comes_with_its_speakers_and_sessions(anon, week):
    event = week["lecture"].event
    body = anon.get(f"/events/{event.public_id}").json()
    assert body["kind"] == "lecture"
    assert [s["name_en"] for s in body["speakers"]] == ["Zhu Xiaojie"]
    assert ids(body["sessions"]) == [week["lecture"].public_id, week["later"].public_id]


def test_a_draft_or_unknown_event_or_session_is_404(anon, week):
    assert_error(anon.get(f"/events/{week['draft'].event.public_id}"), 404, "event_not_found")
    assert_error(anon.get(f"/events/sessions/{week['draft'].public_id}"), 404, "session_not_found")
    assert_error(anon.get(f"/events/sessions/{ABSENT_SESSION}"), 404, "session_not_found")


def test_a_sessions_seats_are_read_live(anon, week, visitor):
    path = f"/events/sessions/{week['lecture'].public_id}"
    assert anon.get(path).json()["seats"] == {
        "capacity": 3,
        "confirmed": 0,
        "held": 0,
        "left": 3,
        "waiting": 0,
        "booking": "open",
    }
    reservation_create(session=week["lecture"], user=visitor, seats=3)
    waitlist_join(session=week["lecture"], user=make_user(), seats=1)
    body = anon.get(path).json()
    assert body["seats"] == {
        "capacity": 3,
        "confirmed": 3,
        "held": 0,
        "left": 0,
        "waiting": 1,
        "booking": "full",
    }
    assert (body["seats_left"], body["booking"]) == (0, "full")


def test_the_language_asked_for_names_kinds(client, week):
    english = ApiClient(client)
    client.cookies["django_language"] = "en"
    body = english.get(f"/events/sessions/{week['lecture'].public_id}").json()
    assert body["event"]["kind_display"] == "Lecture"


# --- reservations -------------------------------------------------------------------------


def reserve(api: ApiClient, session, seats=1):
    return api.post(f"/events/sessions/{session.public_id}/reservations", {"seats": seats})


def test_a_free_reservation_is_confirmed_with_one_ticket_per_seat(me, week):
    response = reserve(me, week["lecture"], 2)
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["seats"], body["payment"]) == ("confirmed", 2, None)
    assert len(body["tickets"]) == 2
    assert body["can_cancel"] is True
    assert set(body["tickets"]) == set(Ticket.objects.values_list("public_id", flat=True))


def test_a_priced_reservation_holds_the_seats_and_gives_the_cashier(me, week, visitor):
    body = reserve(me, week["workshop"], 2).json()
    reservation = Reservation.objects.get(user=visitor)
    assert body["status"] == "pending_payment"
    assert (body["amount_fen"], body["amount_display"]) == (17_600, "¥176.00")
    assert when(body["hold_expires_at"]) == clock.now() + timedelta(minutes=15)
    assert body["payment"]["pay_url"] == sandbox.cashier_url(reservation.payment.out_trade_no)
    assert body["tickets"] == []

    pay(reservation)
    paid = me.get(f"/me/reservations/{reservation.public_id}").json()
    assert (paid["status"], paid["payment"]["status"], paid["payment"]["pay_url"]) == (
        "confirmed",
        "paid",
        None,
    )
    assert len(paid["tickets"]) == 2


def test_reserving_needs_a_login(anon, week):
    assert_error(reserve(anon, week["lecture"]), 401, "not_authenticated")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"seats"}),
        ({"seats": 1, "surprise": True}, {"surprise"}),
        ({"seats": "1"}, {"seats"}),
        ({"seats": 1.5}, {"seats"}),
        ({"seats": True}, {"seats"}),
        ({"seats": 0}, {"seats"}),
        ({"seats": -3}, {"seats"}),
        ({"seats": 10**12}, {"seats"}),
    ],
)
def test_seat_counts_that_are_not_a_small_positive_number_are_invalid(me, week, body, fields):
    path = f"/events/sessions/{week['lecture'].public_id}/reservations"
    assert invalid_fields(me.post(path, body)) == fields
    assert not Reservation.objects.exists()


def test_seats_beyond_the_per_user_limit_are_refused(me, week, visitor):
    assert_error(reserve(me, week["workshop"], 5), 422, "over_user_limit")
    reservation_create(session=week["exhibition"], user=visitor, seats=3)
    error = assert_error(reserve(me, week["exhibition"], 2), 409, "over_user_limit")
    assert error["details"]["have"] == 3


def test_a_full_session_says_how_many_seats_are_left(me, week):
    reservation_create(session=week["lecture"], user=make_user(), seats=2)
    error = assert_error(reserve(me, week["lecture"], 2), 409, "session_full")
    assert error["details"]["seats_left"] == 1


def test_reservations_before_opening_are_refused_with_the_time(me):
    later = make_session(starts_at=at(6, 14), reservation_opens_at=at(3, 10))
    error = assert_error(reserve(me, later), 409, "reservation_not_open")
    assert "2026-11-22 10:00" in error["message"]


def test_reserving_an_unknown_session_is_404(me):
    path = f"/events/sessions/{ABSENT_SESSION}/reservations"
    assert_error(me.post(path, {"seats": 1}), 404, "session_not_found")


def test_my_reservations_are_only_mine(me, week, visitor):
    mine = reservation_create(session=week["lecture"], user=visitor, seats=1)
    theirs = reservation_create(session=week["lecture"], user=make_user(), seats=1)
    listed = me.get("/me/reservations").json()
    assert ids(listed["items"]) == [mine.public_id]
    assert_error(me.get(f"/me/reservations/{theirs.public_id}"), 404, "reservation_not_found")
    path = f"/me/reservations/{theirs.public_id}/cancel"
    assert_error(me.post(path, {}), 404, "reservation_not_found")
    assert Reservation.objects.get(pk=theirs.pk).status == ReservationStatus.CONFIRMED


def test_my_reservations_filter_by_status(me, week, visitor):
    confirmed = reservation_create(session=week["lecture"], user=visitor, seats=1)
    reservation_create(session=week["workshop"], user=visitor, seats=1)
    body = me.get("/me/reservations", {"status": "confirmed"}).json()
    assert ids(body["items"]) == [confirmed.public_id]
    assert invalid_fields(me.get("/me/reservations", {"status": "lost"})) == {"status"}


def test_cancelling_says_and_gives_the_refund(me, week, visitor):
    reservation = reservation_create(session=week["later"], user=visitor, seats=1)
    pay(reservation)
    before = me.get(f"/me/reservations/{reservation.public_id}").json()
    assert (before["can_cancel"], before["cancel_refund_fen"]) == (True, 5_000)
    response = me.post(f"/me/reservations/{reservation.public_id}/cancel", {"reason": "有事"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["refund_fen"], body["tickets"]) == ("cancelled", 5_000, [])
    assert body["cancel_reason"] == "有事"
    again = me.post(f"/me/reservations/{reservation.public_id}/cancel", {})
    assert_error(again, 409, "reservation_not_active")


def test_cancelling_checks_its_body(me, week, visitor):
    reservation = reservation_create(session=week["lecture"], user=visitor, seats=1)
    path = f"/me/reservations/{reservation.public_id}/cancel"
    assert invalid_fields(me.post(path)) == {"body"}
    assert invalid_fields(me.post(path, {"why": "x"})) == {"why"}
    assert_error(me.post(path, {"reason": "x" * 600}), 422, "reason_too_long")


# --- waiting lists ------------------------------------------------------------------------


def waitlist(session) -> str:
    return f"/events/sessions/{session.public_id}/waitlist"


def test_a_visitor_joins_a_full_sessions_waiting_list_and_sees_the_place(me, week):
    reservation_create(session=week["lecture"], user=make_user(), seats=3)
    waitlist_join(session=week["lecture"], user=make_user(), seats=1)
    response = me.post(waitlist(week["lecture"]), {"seats": 2})
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["position"], body["seats"]) == ("waiting", 2, 2)
    assert me.get(waitlist(week["lecture"])).json()["public_id"] == body["public_id"]
    assert_error(me.post(waitlist(week["lecture"]), {"seats": 1}), 409, "already_waitlisted")


def test_the_waiting_list_is_for_full_sessions(me, week):
    assert_error(me.post(waitlist(week["lecture"]), {"seats": 1}), 409, "seats_available")


@pytest.mark.parametrize("body", [{}, {"seats": 0}, {"seats": -1}, {"seats": 10**9}])
def test_joining_with_a_bad_seat_count_is_invalid(me, week, body):
    assert invalid_fields(me.post(waitlist(week["lecture"]), body)) == {"seats"}


def test_leaving_the_waiting_list(me, week):
    reservation_create(session=week["lecture"], user=make_user(), seats=3)
    me.post(waitlist(week["lecture"]), {"seats": 1})
    response = me.delete(waitlist(week["lecture"]))
    assert response.status_code == 200
    assert response.json()["status"] == "left"
    assert_error(me.get(waitlist(week["lecture"])), 404, "waitlist_entry_not_found")
    assert_error(me.delete(waitlist(week["lecture"])), 404, "waitlist_entry_not_found")


def test_an_offer_is_claimed_into_a_reservation(me, week, visitor):
    holder = make_user()
    held = reservation_create(session=week["lecture"], user=holder, seats=3)
    waitlist_join(session=week["lecture"], user=visitor, seats=2)
    assert_error(me.post(waitlist(week["lecture"]) + "/claim"), 409, "offer_not_open")
    reservation_cancel(reservation=held, by=holder)
    offer = me.get(waitlist(week["lecture"])).json()
    assert (offer["status"], offer["offer_open"], offer["position"]) == ("offered", True, None)
    assert when(offer["offer_expires_at"]) == at(2, 10)

    response = me.post(waitlist(week["lecture"]) + "/claim")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], len(body["tickets"])) == ("confirmed", 2)
    claimed = me.get("/me/waitlist").json()["items"][0]
    assert (claimed["status"], claimed["reservation"]) == ("claimed", body["public_id"])


def test_a_priced_offer_claimed_gives_the_cashier(me, week, visitor):
    holders = [make_user() for _ in range(5)]
    held = [reservation_create(session=week["workshop"], user=h, seats=1) for h in holders]
    waitlist_join(session=week["workshop"], user=visitor, seats=1)
    reservation_cancel(reservation=held[0], by=holders[0])
    body = me.post(waitlist(week["workshop"]) + "/claim").json()
    reservation = Reservation.objects.get(user=visitor)
    assert body["status"] == "pending_payment"
    assert body["payment"]["pay_url"] == sandbox.cashier_url(reservation.payment.out_trade_no)


def test_declining_an_offer_passes_it_on(me, week, visitor):
    holder = make_user()
    held = reservation_create(session=week["lecture"], user=holder, seats=3)
    waitlist_join(session=week["lecture"], user=visitor, seats=1)
    nxt = make_user()
    waitlist_join(session=week["lecture"], user=nxt, seats=1)
    reservation_cancel(reservation=held, by=holder)
    assert me.delete(waitlist(week["lecture"])).json()["status"] == "left"
    assert nxt.event_waitlist.get().status == WaitlistStatus.OFFERED


def test_my_waiting_list_places_are_only_mine(me, week, visitor):
    reservation_create(session=week["lecture"], user=make_user(), seats=3)
    waitlist_join(session=week["lecture"], user=make_user(), seats=1)
    assert me.get("/me/waitlist").json()["items"] == []
    assert_error(me.get(waitlist(week["lecture"])), 404, "waitlist_entry_not_found")


# --- tickets ------------------------------------------------------------------------------


def test_my_tickets_carry_payloads_that_verify_with_the_published_key(me, anon, week, visitor):
    reservation_create(session=week["lecture"], user=visitor, seats=2)
    items = me.get("/me/tickets").json()["items"]
    assert len(items) == 2
    published = anon.get("/events/keys").json()["keys"][0]
    assert (published["algorithm"], published["active"]) == ("Ed25519", True)
    key = ticketsign.public_key_from_b64(published["public_key"])
    for item in items:
        claims = ticketsign.verify(item["qr_payload"], key, now=week["lecture"].starts_at)
        assert (claims.ticket_id, claims.session_id) == (
            item["public_id"],
            week["lecture"].public_id,
        )
        assert claims.key_id == published["kid"]
        assert len(item["qr_payload"]) == anon.get("/events/keys").json()["payload_chars"]


def test_a_page_of_tickets_takes_the_same_queries_however_many_it_holds(me, week, visitor):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert me.get("/me/tickets").status_code == 200
        return len(captured)

    reservation_create(session=week["lecture"], user=visitor, seats=1)
    queries()  # the first ticket ever signed makes the week's key
    one = queries()
    reservation_create(session=week["lecture"], user=visitor, seats=2)
    reservation_create(session=week["exhibition"], user=visitor, seats=4)
    assert me.get("/me/tickets").json()["total"] == 7
    assert queries() == one


def test_a_ticket_comes_with_its_qr_code_as_svg(me, week, visitor):
    reservation_create(session=week["lecture"], user=visitor, seats=1)
    ticket = Ticket.objects.get()
    body = me.get(f"/me/tickets/{ticket.public_id}").json()
    assert body["qr_svg"].startswith('<svg width="100%"')
    assert body["session"]["hall"]["name_en"] == "Hall One"
    assert body["qr_payload"]


def test_revoked_tickets_have_no_payload_and_are_listed_only_when_asked(me, week, visitor):
    reservation = reservation_create(session=week["lecture"], user=visitor, seats=1)
    reservation_cancel(reservation=reservation, by=visitor)
    assert me.get("/me/tickets").json()["items"] == []
    revoked = me.get("/me/tickets", {"include_revoked": "true"}).json()["items"][0]
    assert (revoked["status"], revoked["qr_payload"]) == ("revoked", None)
    detail = me.get(f"/me/tickets/{revoked['public_id']}").json()
    assert detail["qr_svg"] is None


def test_another_visitors_ticket_is_404(me, week):
    reservation_create(session=week["lecture"], user=make_user(), seats=1)
    ticket = Ticket.objects.get()
    assert_error(me.get(f"/me/tickets/{ticket.public_id}"), 404, "ticket_not_found")
    assert me.get("/me/tickets").json()["items"] == []


# --- the inbox ----------------------------------------------------------------------------


def test_the_inbox_tells_of_a_cancelled_session_and_is_marked_read(me, api_as, week, visitor):
    reservation_create(session=week["lecture"], user=visitor, seats=1)
    session_cancel(session=week["lecture"], by=make_operator(), reason="场地维修")
    run_jobs()
    items = me.get("/me/notifications").json()["items"]
    assert [(n["kind"], n["session"], n["read_at"]) for n in items] == [
        ("session_cancelled", week["lecture"].public_id, None)
    ]
    assert "场地维修" in items[0]["text"]
    message = items[0]["public_id"]

    assert_error(
        api_as(make_user()).post(f"/me/notifications/{message}/read"), 404, "notification_not_found"
    )
    read = me.post(f"/me/notifications/{message}/read")
    assert when(read.json()["read_at"]) == clock.now()
    assert me.get("/me/notifications", {"unread_only": "true"}).json()["items"] == []


# --- for scanners -------------------------------------------------------------------------


def test_revocations_are_public_and_can_be_asked_since_a_time(anon, week, visitor):
    first = reservation_create(session=week["lecture"], user=visitor, seats=1)
    reservation_cancel(reservation=first, by=visitor)
    clock.advance(timedelta(minutes=5))
    since = clock.now()
    clock.advance(timedelta(minutes=5))
    second = reservation_create(session=week["exhibition"], user=visitor, seats=1)
    reservation_cancel(reservation=second, by=visitor)
    tickets = {t.reservation_id: t.public_id for t in Ticket.objects.all()}

    everything = anon.get("/events/revocations").json()
    assert [r["ticket_id"] for r in everything["revocations"]] == [
        tickets[first.pk],
        tickets[second.pk],
    ]
    assert when(everything["as_of"]) == clock.now()
    later = anon.get("/events/revocations", {"since": since.isoformat()}).json()
    assert [r["ticket_id"] for r in later["revocations"]] == [tickets[second.pk]]
    one = anon.get("/events/revocations", {"session": week["lecture"].public_id}).json()
    assert [r["session_id"] for r in one["revocations"]] == [week["lecture"].public_id]
    assert invalid_fields(anon.get("/events/revocations", {"since": "soon"})) == {"since"}


# --- login --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/me/reservations"),
        ("get", "/me/reservations/rsv_0000000000000000"),
        ("post", "/me/reservations/rsv_0000000000000000/cancel"),
        ("get", "/me/tickets"),
        ("get", "/me/tickets/tk_0000000000000000"),
        ("get", "/me/notifications"),
        ("post", "/me/notifications/ntf_0000000000000000/read"),
        ("get", "/me/waitlist"),
        ("get", f"/events/sessions/{ABSENT_SESSION}/waitlist"),
        ("post", f"/events/sessions/{ABSENT_SESSION}/waitlist"),
        ("delete", f"/events/sessions/{ABSENT_SESSION}/waitlist"),
        ("post", f"/events/sessions/{ABSENT_SESSION}/waitlist/claim"),
    ],
)
def test_a_visitors_own_things_need_a_login(anon, method, path):
    response = anon.delete(path) if method == "delete" else getattr(anon, method)(path)
    assert_error(response, 401, "not_authenticated")
