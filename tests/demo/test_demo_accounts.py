"""The demo accounts: one per role, all able to log in with the documented password."""

import pytest
from django.contrib.auth import authenticate

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.catalog.models import ProductStatus, Shop, ShopStatus
from designmall.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, SUPERUSER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def _account(role):
    return next(a for a in DEMO_ACCOUNTS if a.role == role)


@pytest.mark.parametrize("role", [*Role, SUPERUSER])
def test_every_role_has_a_demo_account_that_can_log_in(role):
    account = _account(role)
    user = authenticate(username=account.email, password=DEMO_PASSWORD)
    assert user is not None
    assert user.email == account.email
    if role == SUPERUSER:
        assert user.is_superuser and user.is_staff
    else:
        assert user.has_role(role)


def test_back_office_roles_can_use_the_admin_and_others_cannot():
    staff = set(User.objects.filter(is_staff=True, email__endswith="@demo.designmall.cn"))
    emails = {u.email for u in staff}
    assert {_account(Role.OPERATOR).email, _account(Role.FINANCE).email} <= emails
    assert _account(Role.BUYER).email not in emails
    assert _account(Role.SELLER).email not in emails


def test_the_demo_seller_owns_an_open_shop_with_products_awaiting_review():
    shop = Shop.objects.get(owner__email=_account(Role.SELLER).email)
    assert shop.status == ShopStatus.APPROVED
    statuses = set(shop.products.values_list("status", flat=True))
    assert {ProductStatus.LIVE, ProductStatus.PENDING_REVIEW, ProductStatus.DRAFT} <= statuses


def test_the_new_seller_has_no_shop_yet():
    assert not Shop.objects.filter(owner__email="newseller@demo.designmall.cn").exists()


def test_owners_of_shops_awaiting_approval_are_not_sellers_yet():
    for shop in Shop.objects.filter(status=ShopStatus.PENDING).select_related("owner"):
        assert not shop.owner.has_role(Role.SELLER)
        assert shop.owner.has_role(Role.BUYER)
