"""Operators moderate products and review shops from the back office (Django admin actions)."""

import pytest
from django.urls import reverse

from designmall.accounts.roles import Role
from designmall.catalog.models import Product, ProductStatus, Shop, ShopStatus
from tests.factories import make_product, make_shop, make_user

pytestmark = pytest.mark.django_db

PRODUCTS = "admin:catalog_product_changelist"
SHOPS = "admin:catalog_shop_changelist"


@pytest.fixture
def operator(client):
    user = make_user(role=Role.OPERATOR)
    client.force_login(user)
    return user


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_an_operator_puts_a_product_awaiting_review_on_sale(client, operator):
    pending = make_product(status=ProductStatus.PENDING_REVIEW)

    response = client.post(
        reverse(PRODUCTS), {"action": "approve", "_selected_action": [pending.pk]}
    )

    assert response.status_code == 302
    assert fresh(pending).status == ProductStatus.LIVE
    page = client.get(reverse("storefront:product", args=[pending.public_id]))
    assert page.status_code == 200


def test_approving_leaves_products_not_awaiting_review_as_they_are(client, operator):
    draft = make_product(status=ProductStatus.DRAFT)

    client.post(reverse(PRODUCTS), {"action": "approve", "_selected_action": [draft.pk]})

    assert fresh(draft).status == ProductStatus.DRAFT


def test_an_operator_rejects_a_product_with_a_reason_the_seller_sees(client, operator):
    pending = make_product(status=ProductStatus.PENDING_REVIEW)
    chosen = {"action": "reject", "_selected_action": [pending.pk]}

    asked = client.post(reverse(PRODUCTS), chosen)
    assert asked.status_code == 200 and "原因" in asked.content.decode()
    client.post(reverse(PRODUCTS), {**chosen, "apply": "1", "reason": "图片不清晰，请重新上传"})

    rejected = fresh(pending)
    assert rejected.status == ProductStatus.DRAFT  # back to the seller, to mend
    assert rejected.moderation_note == "图片不清晰，请重新上传"


def test_a_rejection_without_a_reason_is_asked_again_and_changes_nothing(client, operator):
    pending = make_product(status=ProductStatus.PENDING_REVIEW)
    chosen = {"action": "reject", "_selected_action": [pending.pk], "apply": "1", "reason": ""}

    again = client.post(reverse(PRODUCTS), chosen)

    assert again.status_code == 200
    assert fresh(pending).status == ProductStatus.PENDING_REVIEW


def test_an_operator_approves_a_shop_application(client, operator):
    applied = make_shop(status=ShopStatus.PENDING)

    client.post(reverse(SHOPS), {"action": "approve", "_selected_action": [applied.pk]})

    assert fresh(applied).status == ShopStatus.APPROVED


def test_an_operator_rejects_a_shop_application_with_a_reason(client, operator):
    applied = make_shop(status=ShopStatus.PENDING)
    chosen = {"action": "reject", "_selected_action": [applied.pk]}

    client.post(reverse(SHOPS), {**chosen, "apply": "1", "reason": "营业执照与店主不符"})

    rejected = fresh(applied)
    assert rejected.status == ShopStatus.REJECTED
    assert rejected.reject_reason == "营业执照与店主不符"


def test_a_seller_cannot_reach_the_back_office(client):
    pending = make_product(status=ProductStatus.PENDING_REVIEW)
    client.force_login(pending.shop.owner)

    response = client.post(
        reverse(PRODUCTS), {"action": "approve", "_selected_action": [pending.pk]}
    )

    assert response.status_code == 302  # to the admin login
    assert Product.objects.get(pk=pending.pk).status == ProductStatus.PENDING_REVIEW
    assert Shop.objects.get(pk=pending.shop_id).status == ShopStatus.APPROVED
