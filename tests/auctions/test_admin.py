"""The auctions back office: operators schedule sales and lots through the services, edit
increment tables in yuan, see each lot's bid timeline and retract a bid with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from designmall.accounts.roles import Role
from designmall.auctions.models import Bid, IncrementTable, Lot, LotStatus
from designmall.auctions.services import increment_table_default
from designmall.core import clock
from designmall.core.money import Money
from tests.auctions.conftest import bid, fresh, paid_deposit, yuan
from tests.factories import make_designer, make_lot, make_sale, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = make_user(role=Role.OPERATOR)
    client.force_login(user)
    return user


def _split(moment) -> dict[str, str]:
    local = timezone.localtime(moment)
    return {"0": local.strftime("%Y-%m-%d"), "1": local.strftime("%H:%M:%S")}


def lot_form(**fields) -> dict:
    data = {"images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0"}
    data.update({"bids-TOTAL_FORMS": "0", "bids-INITIAL_FORMS": "0"})
    for name, value in fields.items():
        if hasattr(value, "tzinfo"):
            for part, text in _split(value).items():
                data[f"{name}_{part}"] = text
        elif name.endswith("_fen") and isinstance(value, int):
            data[name] = Money(value).yuan_str()  # the back office takes yuan
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    return data


@pytest.mark.parametrize(
    "model",
    ["auctionsale", "lot", "bid", "deposit", "incrementtable", "secondchanceoffer", "lotcheckout"],
)
def test_the_lists_open_for_operators(client, staff, model, alice):
    lot = make_lot(deposit_fen=yuan(100))
    paid_deposit(alice, lot=lot)
    bid(lot, alice, 1_000)

    page = client.get(reverse(f"admin:auctions_{model}_changelist"))

    assert page.status_code == 200


def test_a_lots_page_shows_its_bid_timeline_with_refusals_and_the_replay_check(
    client, staff, lot, alice, bob
):
    bid(lot, alice, 2_000)
    bid(lot, bob, 1_500)

    page = client.get(reverse("admin:auctions_lot_change", args=[lot.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("bid_") >= 2 and "¥2,000.00" in text and "¥1,500.00" in text
    assert "✓" in text  # the snapshot equals the replay
    assert fresh(lot).leader_id == alice.pk


def test_an_operator_schedules_a_lot_through_the_form(client, staff):
    sale = make_sale()
    now = clock.now()
    data = lot_form(
        sale=sale,
        number=7,
        designer=make_designer(is_renowned=True),
        shop=make_shop(),
        title_zh="胡桃木扶手椅",
        start_price_fen=yuan(2_000),
        deposit_fen=yuan(200),
        starts_at=now,
        scheduled_end_at=now + timedelta(hours=3),
        soft_close_minutes=5,
        increment_table=increment_table_default(),
    )

    response = client.post(reverse("admin:auctions_lot_add"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    lot = Lot.objects.get(number=7)
    assert (lot.status, lot.ends_at, lot.deposit_fen) == (
        LotStatus.ACTIVE,
        now + timedelta(hours=3),
        yuan(200),
    )


def test_the_form_refuses_a_deposit_not_below_the_start_price(client, staff):
    now = clock.now()
    data = lot_form(
        sale=make_sale(),
        number=1,
        designer=make_designer(),
        shop=make_shop(),
        title_zh="灯",
        start_price_fen=yuan(1_000),
        deposit_fen=yuan(1_000),
        starts_at=now,
        scheduled_end_at=now + timedelta(hours=1),
        soft_close_minutes=5,
        increment_table=increment_table_default(),
    )

    response = client.post(reverse("admin:auctions_lot_add"), data)

    assert response.status_code == 200
    assert "保证金须低于起拍价" in response.content.decode()
    assert not Lot.objects.exists()


def test_an_increment_table_is_typed_in_yuan_one_band_a_line(client, staff):
    response = client.post(
        reverse("admin:auctions_incrementtable_add"),
        {"name": "小件", "bands_text": "0 10\n500 20\n2000.50 100"},
    )

    assert response.status_code == 302
    assert IncrementTable.objects.get(name="小件").bands == [
        {"from_fen": 0, "step_fen": 1_000},
        {"from_fen": 50_000, "step_fen": 2_000},
        {"from_fen": 200_050, "step_fen": 10_000},
    ]
    bad = client.post(
        reverse("admin:auctions_incrementtable_add"), {"name": "坏", "bands_text": "100 10"}
    )
    assert bad.status_code == 200 and not IncrementTable.objects.filter(name="坏").exists()


def test_retracting_a_bid_asks_for_the_reason_then_replays_the_lot(client, staff, lot, alice, bob):
    bid(lot, alice, 2_000)
    top = bid(lot, bob, 5_000).bid
    url = reverse("admin:auctions_bid_changelist")
    chosen = {"action": "retract", "_selected_action": [top.pk]}

    asked = client.post(url, chosen)
    assert asked.status_code == 200 and "reason" in asked.content.decode()
    done = client.post(url, {**chosen, "apply": "1", "reason": "疑似托价"})

    assert done.status_code == 302
    top = fresh(top)
    assert top.retracted and top.retraction_reason == "疑似托价" and top.retracted_by == staff
    assert fresh(lot).leader_id == alice.pk


def test_people_without_the_permission_see_no_retract_action(client, lot, alice):
    client.force_login(make_user(role=Role.FINANCE))
    bid(lot, alice, 2_000)

    page = client.get(reverse("admin:auctions_lot_changelist"))

    assert page.status_code == 200
    response = client.post(
        reverse("admin:auctions_bid_changelist"),
        {"action": "retract", "_selected_action": [Bid.objects.get().pk], "apply": "1"}
        | {"reason": "x"},
    )
    assert response.status_code == 403
    assert not Bid.objects.get().retracted


def test_a_new_lot_starts_from_the_default_increments_and_soft_close(client, staff):
    page = client.get(reverse("admin:auctions_lot_add"))

    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form.initial["increment_table"] == increment_table_default().pk
    assert form.initial["soft_close_minutes"] == 5
