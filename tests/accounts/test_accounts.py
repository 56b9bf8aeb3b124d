import pytest
from django.contrib.auth import authenticate

from designmall.accounts import services
from designmall.accounts.roles import Role
from designmall.core.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
GOOD_PASSWORD = "walnut-lounge-chair-42"


def test_registering_by_email_makes_a_buyer():
    user = services.user_register(identifier="Ming@Example.com", password=GOOD_PASSWORD)
    assert user.email == "ming@example.com"
    assert user.has_role(Role.BUYER)
    assert not user.has_role(Role.SELLER)


def test_registering_by_mobile_number():
    user = services.user_register(identifier="13800138000", password=GOOD_PASSWORD)
    assert user.mobile == "13800138000"
    assert user.email is None


def test_password_is_hashed_never_stored_plain():
    user = services.user_register(identifier="a@example.com", password=GOOD_PASSWORD)
    assert GOOD_PASSWORD not in user.password
    assert user.check_password(GOOD_PASSWORD)


@pytest.mark.parametrize("identifier", ["not-an-email", "1380013800", "12345678901", ""])
def test_registering_refuses_what_is_neither_email_nor_mobile(identifier):
    with pytest.raises(ValidationFailed) as exc:
        services.user_register(identifier=identifier, password=GOOD_PASSWORD)
    assert exc.value.code == "invalid_identifier"


def test_registering_refuses_weak_passwords():
    with pytest.raises(ValidationFailed) as exc:
        services.user_register(identifier="b@example.com", password="12345678")
    assert exc.value.code == "weak_password"


def test_registering_twice_is_a_conflict_whatever_the_case():
    services.user_register(identifier="c@example.com", password=GOOD_PASSWORD)
    with pytest.raises(Conflict):
        services.user_register(identifier="C@EXAMPLE.COM", password=GOOD_PASSWORD)


def test_login_by_email_or_mobile():
    user = make_user(mobile="13900139000")
    assert authenticate(username=user.email, password=PASSWORD) == user
    assert authenticate(username="13900139000", password=PASSWORD) == user


def test_api_token_secret_is_shown_once_and_stored_hashed():
    user = make_user()
    token, raw = services.api_token_create(user=user, name="phone")
    assert raw.startswith("dm_")
    assert raw not in token.key_hash
    assert services.api_token_authenticate(raw) == user


def test_revoked_token_no_longer_authenticates():
    user = make_user()
    token, raw = services.api_token_create(user=user, name="phone")
    services.api_token_revoke(user=user, token_public_id=token.public_id)
    assert services.api_token_authenticate(raw) is None


def test_nobody_can_revoke_another_users_token():
    owner, intruder = make_user(), make_user()
    token, _ = services.api_token_create(user=owner, name="phone")
    with pytest.raises(NotFound):
        services.api_token_revoke(user=intruder, token_public_id=token.public_id)


@pytest.mark.parametrize("raw", ["", "dm_", "dm_forged", "Bearer x", "x" * 500])
def test_unknown_tokens_authenticate_nobody(raw):
    assert services.api_token_authenticate(raw) is None


def test_token_of_a_deactivated_user_authenticates_nobody():
    user = make_user()
    _, raw = services.api_token_create(user=user, name="phone")
    user.is_active = False
    user.save()
    assert services.api_token_authenticate(raw) is None


def test_role_groups_carry_their_permissions():
    operator = make_user(role=Role.OPERATOR)
    seller = make_user(role=Role.SELLER)
    assert operator.has_perm("catalog.moderate_product")
    assert operator.is_staff
    assert not seller.has_perm("catalog.moderate_product")


def test_every_role_has_a_group():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}
