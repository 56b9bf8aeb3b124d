"""Booths and exhibits: who may assign and list, and what is refused."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from designmall.accounts.roles import Role
from designmall.catalog.models import ProductStatus, ShopStatus
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from designmall.core.ids import new_short_code
from designmall.o2o import rules, selectors, services
from designmall.o2o.models import BoothStatus, ExhibitKind
from tests.factories import (
    make_hall,
    make_lot,
    make_operator,
    make_product,
    make_shop,
    make_user,
    make_venue,
)

pytestmark = pytest.mark.django_db

HOURS = {
    "opens_on": date(2026, 11, 20),
    "closes_on": date(2026, 11, 29),
    "opens_at": time(10, 0),
    "closes_at": time(18, 0),
}


def assign(shop=None, venue=None, number="A12", by=None, **kw):
    return services.booth_assign(
        by=by or make_operator(),
        shop=shop or make_shop(),
        venue=venue or make_venue(),
        number=number,
        **{**HOURS, **kw},
    )


def test_an_operator_assigns_a_booth_with_a_short_unguessable_code():
    venue = make_venue()
    hall = make_hall(venue=venue)
    booth = assign(venue=venue, hall=hall, number=" a 12 ")
    assert booth.number == "A12"
    assert booth.status == BoothStatus.ACTIVE
    assert len(booth.code) == 10 and booth.code != assign(venue=venue, number="A13").code
    assert selectors.booth_by_code(booth.code.upper()) == booth
    assert selectors.booth_url(booth).endswith(f"/o/b/{booth.code}/")
    assert [e.action for e in audit_trail(booth)] == ["booth.assigned"]


def test_only_operators_assign_booths():
    with pytest.raises(PermissionDenied):
        assign(by=make_user(role=Role.SELLER))


def test_only_approved_shops_get_booths():
    with pytest.raises(Conflict) as refused:
        assign(shop=make_shop(status=ShopStatus.PENDING))
    assert refused.value.code == "shop_not_approved"


def test_a_booth_number_is_taken_once_per_venue_until_withdrawn():
    venue = make_venue()
    first = assign(venue=venue, number="B1")
    with pytest.raises(Conflict) as refused:
        assign(venue=venue, number="b1")
    assert refused.value.code == "booth_number_taken"
    assign(venue=make_venue(), number="B1")  # another venue: fine
    services.booth_withdraw(booth=first, by=make_operator())
    assert assign(venue=venue, number="B1").status == BoothStatus.ACTIVE
    with pytest.raises(NotFound):
        selectors.booth_by_code(first.code)


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"number": "!!"}, "invalid_booth_number"),
        ({"closes_on": date(2026, 11, 1)}, "invalid_hours"),
        ({"closes_at": time(9, 0)}, "invalid_hours"),
        ({"hall": "other"}, "hall_not_in_venue"),
    ],
)
def test_impossible_booths_are_refused(kw, code):
    if kw.get("hall") == "other":
        kw = {"hall": make_hall()}
    with pytest.raises(ValidationFailed) as refused:
        assign(**kw)
    assert refused.value.code == code


def test_opening_hours_rule():
    kw = dict(HOURS)
    assert rules.booth_open(local=datetime(2026, 11, 20, 10, 0), **kw)
    assert not rules.booth_open(local=datetime(2026, 11, 20, 18, 0), **kw)
    assert not rules.booth_open(local=datetime(2026, 11, 30, 12, 0), **kw)


def test_short_codes_are_crockford_and_typos_are_read():
    code = new_short_code()
    assert len(code) == 10 and set(code) <= set("0123456789abcdefghjkmnpqrstvwxyz")
    assert rules.short_code_clean(" O1L-i ".replace("-", "")) == "0111"


def test_a_seller_lists_exhibits_of_each_kind_at_its_own_booth():
    shop = make_shop()
    booth = assign(shop=shop)
    seller = shop.owner
    product = make_product(shop=shop, title_zh="胡桃木椅", title_en="Walnut Chair")
    lot = make_lot(shop=shop)
    item = services.exhibit_create(
        booth=booth,
        by=seller,
        kind=ExhibitKind.PRODUCT,
        product=product.public_id,
        story_zh="一把椅子的故事",
        story_en="The story of a chair",
    )
    assert item.title_zh_shown == "胡桃木椅" and item.title_en_shown == "Walnut Chair"
    assert services.exhibit_create(booth=booth, by=seller, kind="lot", lot=lot.public_id).lot == lot
    shown = services.exhibit_create(booth=booth, by=seller, kind="shown", title_zh="灯的原型")
    assert selectors.exhibit_by_code(shown.code) == shown
    with pytest.raises(Conflict) as twice:
        services.exhibit_create(booth=booth, by=seller, kind="product", product=product.public_id)
    assert twice.value.code == "exhibit_exists"


def test_exhibits_are_refused_when_they_are_not_the_shops_or_not_complete():
    shop = make_shop()
    booth = assign(shop=shop)
    seller = shop.owner
    others = make_product()
    draft = make_product(shop=shop, status=ProductStatus.DRAFT)
    for product in (others, draft):
        with pytest.raises(ValidationFailed) as refused:
            services.exhibit_create(
                booth=booth, by=seller, kind="product", product=product.public_id
            )
        assert refused.value.code == "unknown_product"
    with pytest.raises(ValidationFailed) as refused:
        services.exhibit_create(booth=booth, by=seller, kind="lot", lot=make_lot().public_id)
    assert refused.value.code == "unknown_lot"
    with pytest.raises(ValidationFailed):
        services.exhibit_create(booth=booth, by=seller, kind="shown")
    with pytest.raises(ValidationFailed) as refused:
        services.exhibit_create(
            booth=booth, by=seller, kind="shown", title_zh="x", story_zh="长" * 501
        )
    assert refused.value.code == "story_too_long"


def test_another_shops_booth_and_exhibit_are_not_found():
    booth = assign()
    item = services.exhibit_create(booth=booth, by=booth.shop.owner, kind="shown", title_zh="作品")
    stranger = make_shop().owner
    with pytest.raises(NotFound):
        services.exhibit_create(booth=booth, by=stranger, kind="shown", title_zh="作品")
    with pytest.raises(NotFound):
        services.exhibit_remove(exhibit=item, by=stranger)


def test_a_removed_exhibit_stops_resolving():
    booth = assign()
    item = services.exhibit_create(booth=booth, by=booth.shop.owner, kind="shown", title_zh="作品")
    services.exhibit_remove(exhibit=item, by=booth.shop.owner)
    with pytest.raises(NotFound):
        selectors.exhibit_by_code(item.code)


def test_the_exhibit_page_has_price_stock_and_the_lots_live_price():
    shop = make_shop()
    booth = assign(shop=shop)
    product = make_product(shop=shop, skus=[(12_900, 3), (15_900, 2)])
    item = services.exhibit_create(
        booth=booth, by=shop.owner, kind="product", product=product.public_id
    )
    page = selectors.exhibit_page(exhibit=selectors.exhibit_by_code(item.code))
    assert (page.price_fen, page.available, page.buyable) == (12_900, 5, True)
    lot = make_lot(shop=shop, start_price_fen=50_000)
    item = services.exhibit_create(booth=booth, by=shop.owner, kind="lot", lot=lot.public_id)
    page = selectors.exhibit_page(exhibit=selectors.exhibit_by_code(item.code))
    assert page.lot is not None and page.price_fen == page.lot.price_fen
