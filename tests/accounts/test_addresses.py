"""The address book service: divisions checked, one default while any address exists,
each buyer's own addresses only, a limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from designmall.accounts import divisions
from designmall.accounts.addresses import (
    MAX_ADDRESSES,
    address_create,
    address_default,
    address_delete,
    address_set_default,
    address_update,
    addresses_of,
)
from designmall.accounts.models import Address
from designmall.core import clock
from designmall.core.errors import Conflict, NotFound, ValidationFailed
from tests.factories import make_user

pytestmark = pytest.mark.django_db

HOME = {
    "name": "林小满",
    "mobile": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "徐汇区",
    "detail": "龙腾大道 2555 号",
    "postcode": "200232",
}
OFFICE = {**HOME, "province": "北京市", "city": "北京市", "district": "朝阳区", "postcode": ""}
PARENTS = {**HOME, "province": "浙江省", "city": "杭州市", "district": "西湖区"}


def test_the_divisions_are_chinas_provinces_cities_and_districts():
    assert len(divisions.provinces()) == 31
    assert "杭州市" in divisions.cities("浙江省")
    assert "西湖区" in divisions.districts("浙江省", "杭州市")
    # A municipality's city level carries its own name, not "市辖区".
    assert divisions.cities("上海市") == ["上海市"]
    assert divisions.division_problem("浙江省", "杭州市", "西湖区") is None
    assert divisions.division_problem("浙江省", "南京市", "") == "city"
    assert divisions.division_problem("江苏省", "南京市", "西湖区") == "district"
    assert divisions.division_problem("火星", "杭州市", "西湖区") == "province"


def test_the_first_address_is_the_default_and_later_ones_are_not():
    buyer = make_user()
    home = address_create(user=buyer, data=HOME)
    office = address_create(user=buyer, data=OFFICE)

    assert home.is_default and not office.is_default
    assert address_default(buyer) == home
    assert [a.pk for a in addresses_of(buyer)] == [home.pk, office.pk]


def test_choosing_another_default_leaves_exactly_one():
    buyer = make_user()
    home = address_create(user=buyer, data=HOME)
    office = address_create(user=buyer, data=OFFICE)
    parents = address_create(user=buyer, data=PARENTS, make_default=True)
    assert address_default(buyer) == parents

    address_set_default(user=buyer, public_id=office.public_id)
    address_set_default(user=buyer, public_id=office.public_id)  # twice is harmless

    assert list(Address.objects.filter(user=buyer, is_default=True)) == [office]
    assert not Address.objects.get(pk=home.pk).is_default


def test_deleting_the_default_makes_the_most_recently_changed_other_the_default():
    buyer = make_user()
    home = address_create(user=buyer, data=HOME)
    office = address_create(user=buyer, data=OFFICE)
    parents = address_create(user=buyer, data=PARENTS)
    clock.advance(timedelta(minutes=5))
    address_update(user=buyer, public_id=office.public_id, data={**OFFICE, "detail": "新地址"})

    address_delete(user=buyer, public_id=home.public_id)

    assert address_default(buyer).pk == office.pk
    address_delete(user=buyer, public_id=office.public_id)
    assert address_default(buyer).pk == parents.pk
    address_delete(user=buyer, public_id=parents.public_id)
    assert address_default(buyer) is None


def test_an_edit_changes_the_fields_and_can_make_it_the_default():
    buyer = make_user()
    address_create(user=buyer, data=HOME)
    office = address_create(user=buyer, data=OFFICE)

    changed = address_update(
        user=buyer,
        public_id=office.public_id,
        data={**OFFICE, "detail": "  酒仙桥路   4 号 ", "name": "周小满"},
        make_default=True,
    )

    changed.refresh_from_db()
    assert (changed.detail, changed.name, changed.is_default) == ("酒仙桥路 4 号", "周小满", True)
    assert Address.objects.filter(user=buyer, is_default=True).count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"mobile": "call me"}, "mobile"),
        ({"province": "加州"}, "province"),
        ({"city": "南京市"}, "city"),
        ({"district": "鼓楼区"}, "district"),
        ({"detail": ""}, "detail"),
        ({"detail": "x" * 201}, "detail"),
        ({"postcode": "ABC"}, "postcode"),
        ({"name": 5}, "name"),
    ],
)
def test_a_wrong_field_is_named(change, field):
    with pytest.raises(ValidationFailed) as refused:
        address_create(user=make_user(), data={**HOME, **change})
    assert refused.value.code == "invalid_address"
    assert refused.value.details == {"field": field}


def test_a_buyer_cannot_touch_another_buyers_address():
    owner, other = make_user(), make_user()
    home = address_create(user=owner, data=HOME)

    for call in (
        lambda: address_update(user=other, public_id=home.public_id, data=OFFICE),
        lambda: address_set_default(user=other, public_id=home.public_id),
        lambda: address_delete(user=other, public_id=home.public_id),
    ):
        with pytest.raises(NotFound):
            call()
    home.refresh_from_db()
    assert home.province == "上海市"


def test_the_book_holds_a_limited_number_of_addresses():
    buyer = make_user()
    for _ in range(MAX_ADDRESSES):
        address_create(user=buyer, data=HOME)
    with pytest.raises(Conflict) as refused:
        address_create(user=buyer, data=HOME)
    assert refused.value.code == "address_book_full"


def test_an_address_becomes_a_checkouts_delivery_address():
    from designmall.orders.checkout import clean_address

    address = address_create(user=make_user(), data=OFFICE)
    assert clean_address(address.as_delivery())["district"] == "朝阳区"
    assert "postcode" not in address.as_delivery()
