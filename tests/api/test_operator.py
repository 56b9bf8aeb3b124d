"""The operators' queues: shop applications and product moderation."""

import pytest

from designmall.accounts.models import User
from designmall.catalog.models import ProductStatus, ShopStatus
from tests.api.conftest import ABSENT_ID, assert_error, invalid_fields
from tests.factories import make_product, make_shop, make_user

pytestmark = pytest.mark.django_db

S = "s_0000000000000000"


@pytest.fixture
def as_operator(api_as, operator):
    return api_as(operator)


@pytest.fixture
def pending_shop(db):
    return make_shop(owner=make_user(), status=ShopStatus.PENDING)


@pytest.fixture
def pending_product(db):
    return make_product(status=ProductStatus.PENDING_REVIEW)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/operator/shops"),
        ("post", f"/operator/shops/{S}/approve"),
        ("post", f"/operator/shops/{S}/reject"),
        ("get", "/operator/products"),
        ("post", f"/operator/products/{ABSENT_ID}/approve"),
        ("post", f"/operator/products/{ABSENT_ID}/reject"),
        ("post", f"/operator/products/{ABSENT_ID}/delist"),
    ],
)
def test_non_operators_are_403_and_anonymous_callers_401(anon, api_as, seller, method, path):
    def call(client):
        return client.get(path) if method == "get" else client.post(path, {"reason": "x"})

    error = assert_error(call(api_as(seller)), 403, "role_required")
    assert error["details"] == {"role": "operator"}
    assert_error(call(anon), 401, "not_authenticated")


def test_superuser_counts_as_operator(api_as):
    boss = User.objects.create_superuser(email="boss@example.com", password="x")
    assert api_as(boss).get("/operator/shops").status_code == 200


# --- shops --------------------------------------------------------------------------------


def test_shop_queue_lists_pending_applications_oldest_first(as_operator, pending_shop):
    later = make_shop(owner=make_user(), status=ShopStatus.PENDING)
    make_shop()
    body = as_operator.get("/operator/shops", {"status": "pending"}).json()
    assert [s["public_id"] for s in body["items"]] == [pending_shop.public_id, later.public_id]
    assert body["items"][0]["owner"]["email"] == pending_shop.owner.email


def test_shop_queue_refuses_an_unknown_status(as_operator):
    assert invalid_fields(as_operator.get("/operator/shops", {"status": "open"})) == {"status"}


def test_approving_opens_the_shop_with_its_commission(as_operator, pending_shop):
    path = f"/operator/shops/{pending_shop.public_id}/approve"
    response = as_operator.post(path, {"commission_bp": 1200})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["commission_bp"]) == ("approved", 1200)
    owner = User.objects.get(pk=pending_shop.owner_id)
    assert owner.has_role("seller")


def test_approving_without_a_body_keeps_the_default_commission(as_operator, pending_shop):
    body = as_operator.post(f"/operator/shops/{pending_shop.public_id}/approve").json()
    assert (body["status"], body["commission_bp"]) == ("approved", 800)


@pytest.mark.parametrize("commission_bp", [-1, 10_001, "800", 8.5, 10**30])
def test_approving_refuses_a_commission_out_of_bounds(as_operator, pending_shop, commission_bp):
    path = f"/operator/shops/{pending_shop.public_id}/approve"
    assert invalid_fields(as_operator.post(path, {"commission_bp": commission_bp})) == {
        "commission_bp"
    }
    pending_shop.refresh_from_db()
    assert pending_shop.status == ShopStatus.PENDING


def test_approving_a_shop_twice_is_an_invalid_transition(as_operator):
    shop = make_shop()
    response = as_operator.post(f"/operator/shops/{shop.public_id}/approve")
    assert_error(response, 409, "invalid_transition")


def test_approving_an_unknown_shop_is_404(as_operator):
    assert_error(as_operator.post(f"/operator/shops/{S}/approve"), 404, "shop_not_found")


def test_rejecting_keeps_the_reason(as_operator, pending_shop):
    response = as_operator.post(
        f"/operator/shops/{pending_shop.public_id}/reject", {"reason": "资料不全"}
    )
    assert (response.json()["status"], response.json()["reject_reason"]) == ("rejected", "资料不全")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (None, "body"),
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "长" * 1001}, "reason"),
    ],
)
def test_rejecting_needs_a_reason(as_operator, pending_shop, body, field):
    response = as_operator.post(f"/operator/shops/{pending_shop.public_id}/reject", body)
    assert invalid_fields(response) == {field}
    pending_shop.refresh_from_db()
    assert pending_shop.status == ShopStatus.PENDING


# --- products -----------------------------------------------------------------------------


def test_product_queue_lists_products_waiting_for_review(as_operator, pending_product):
    make_product()
    body = as_operator.get("/operator/products", {"status": "pending_review"}).json()
    assert [p["public_id"] for p in body["items"]] == [pending_product.public_id]
    assert body["items"][0]["shop"]["public_id"] == pending_product.shop.public_id


def test_approving_a_product_puts_it_on_sale(as_operator, anon, pending_product):
    path = f"/operator/products/{pending_product.public_id}/approve"
    body = as_operator.post(path).json()
    assert body["status"] == "live"
    assert body["published_at"] is not None
    assert anon.get(f"/products/{pending_product.public_id}").status_code == 200


def test_approving_a_draft_is_an_invalid_transition(as_operator):
    draft = make_product(status=ProductStatus.DRAFT)
    response = as_operator.post(f"/operator/products/{draft.public_id}/approve")
    assert_error(response, 409, "invalid_transition")


def test_approving_a_product_of_a_closed_shop_is_409(as_operator):
    product = make_product(
        status=ProductStatus.PENDING_REVIEW, shop=make_shop(status=ShopStatus.SUSPENDED)
    )
    response = as_operator.post(f"/operator/products/{product.public_id}/approve")
    assert_error(response, 409, "shop_not_open")


def test_rejecting_a_product_sends_it_back_to_draft_with_the_note(as_operator, pending_product):
    path = f"/operator/products/{pending_product.public_id}/reject"
    body = as_operator.post(path, {"reason": "图片不清晰"}).json()
    assert (body["status"], body["moderation_note"]) == ("draft", "图片不清晰")


def test_rejecting_a_product_needs_a_reason(as_operator, pending_product):
    path = f"/operator/products/{pending_product.public_id}/reject"
    assert invalid_fields(as_operator.post(path, {"reason": ""})) == {"reason"}


def test_delisting_a_live_product(as_operator, anon):
    live = make_product()
    body = as_operator.post(
        f"/operator/products/{live.public_id}/delist", {"reason": "侵权"}
    ).json()
    assert (body["status"], body["moderation_note"]) == ("delisted", "侵权")
    assert_error(anon.get(f"/products/{live.public_id}"), 404, "product_not_found")


def test_moderating_an_unknown_product_is_404(as_operator):
    path = f"/operator/products/{ABSENT_ID}/approve"
    assert_error(as_operator.post(path), 404, "product_not_found")
