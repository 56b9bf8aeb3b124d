import pytest

from designmall.accounts.roles import Role
from designmall.catalog import services
from designmall.catalog.models import ProductStatus, ShopStatus
from designmall.catalog.rules import PRODUCT_TRANSITIONS, ProductAction, next_product_status
from designmall.core.audit import audit_trail
from designmall.core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied
from tests.factories import make_category, make_operator, make_product, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return make_operator()


@pytest.fixture
def shop():
    return make_shop()


@pytest.fixture
def draft(shop):
    return make_product(shop=shop, status=ProductStatus.DRAFT)


def test_transition_table_only_allows_listed_moves():
    statuses = [s.value for s in ProductStatus]
    for status in statuses:
        for action in ProductAction:
            expected = PRODUCT_TRANSITIONS.get((status, action))
            assert next_product_status(status, action) == expected


def test_seller_submits_a_draft_for_review(shop, draft):
    product = services.product_submit(product=draft, by=shop.owner)
    assert product.status == ProductStatus.PENDING_REVIEW


def test_a_product_without_active_sku_cannot_be_submitted(shop):
    product = make_product(shop=shop, status=ProductStatus.DRAFT, skus=[])
    with pytest.raises(Exception) as exc:
        services.product_submit(product=product, by=shop.owner)
    assert exc.value.code == "no_active_sku"


def test_operator_approval_publishes_and_records_who(shop, draft, operator):
    services.product_submit(product=draft, by=shop.owner)
    product = services.product_approve(product=draft, by=operator)
    assert product.status == ProductStatus.LIVE
    assert product.published_at is not None
    event = audit_trail(product).get(action="product.approve")
    assert (event.actor, event.from_state, event.to_state) == (operator, "pending_review", "live")


def test_operator_rejection_returns_to_draft_with_reason(shop, draft, operator):
    services.product_submit(product=draft, by=shop.owner)
    product = services.product_reject(product=draft, by=operator, reason="图片不清晰")
    assert product.status == ProductStatus.DRAFT
    assert product.moderation_note == "图片不清晰"


def test_rejection_needs_a_reason(shop, draft, operator):
    services.product_submit(product=draft, by=shop.owner)
    with pytest.raises(Exception) as exc:
        services.product_reject(product=draft, by=operator, reason="  ")
    assert exc.value.code == "required"


def test_seller_cannot_approve_their_own_product(shop, draft):
    services.product_submit(product=draft, by=shop.owner)
    with pytest.raises(PermissionDenied):
        services.product_approve(product=draft, by=shop.owner)


def test_approving_a_draft_is_an_invalid_transition(draft, operator):
    with pytest.raises(InvalidTransition):
        services.product_approve(product=draft, by=operator)


def test_another_seller_cannot_touch_the_product(draft):
    stranger = make_user(role=Role.SELLER)
    with pytest.raises(NotFound):
        services.product_submit(product=draft, by=stranger)
    with pytest.raises(NotFound):
        services.product_update(product=draft, by=stranger, title_zh="偷改")


def test_delisted_product_can_be_resubmitted(shop, operator):
    product = make_product(shop=shop)
    services.product_delist(product=product, by=shop.owner, reason="换季")
    product = services.product_submit(product=product, by=shop.owner)
    assert product.status == ProductStatus.PENDING_REVIEW


def test_editing_a_live_products_text_sends_it_back_to_review(shop):
    product = make_product(shop=shop)
    product = services.product_update(product=product, by=shop.owner, title_zh="新名字")
    assert product.status == ProductStatus.PENDING_REVIEW


def test_editing_a_live_products_country_keeps_it_live(shop):
    product = make_product(shop=shop)
    product = services.product_update(product=product, by=shop.owner, country="jp")
    assert (product.status, product.country) == (ProductStatus.LIVE, "JP")


def test_products_of_an_unapproved_shop_cannot_go_live(operator):
    shop = make_shop(status=ShopStatus.PENDING)
    with pytest.raises(Conflict):
        services.product_create(shop=shop, by=shop.owner, title_zh="灯", category=make_category())


def test_product_create_starts_as_draft_and_refuses_unknown_fields(shop):
    category = make_category()
    product = services.product_create(
        shop=shop, by=shop.owner, title_zh="竹编灯", title_en="Bamboo Lamp", category=category
    )
    assert product.status == ProductStatus.DRAFT
    with pytest.raises(Exception) as exc:
        services.product_create(
            shop=shop, by=shop.owner, title_zh="灯", category=category, status="live"
        )
    assert exc.value.code == "unknown_field"


def test_over_long_title_is_refused(shop):
    with pytest.raises(Exception) as exc:
        services.product_create(
            shop=shop, by=shop.owner, title_zh="椅" * 121, category=make_category()
        )
    assert exc.value.code == "too_long"
