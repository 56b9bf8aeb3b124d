"""Signing in: growing waits per account and address, a looser limit per address, and
known devices that nobody else's failures can slow down (accounts.login)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate

from designmall.accounts.login import backoff_seconds, known_device_token, login_check
from designmall.accounts.recovery import user_logout_everywhere
from designmall.core import clock
from designmall.core.errors import NotAuthenticated, TooManyRequests
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
HOME, ATTACKER, CAFE = "10.0.0.1", "203.0.113.9", "198.51.100.7"


@pytest.fixture(autouse=True)
def _throttle(settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 3
    settings.LOGIN_THROTTLE_ADDRESS_FREE_FAILURES = 10
    settings.LOGIN_THROTTLE_ACCOUNT_FREE_FAILURES = 30
    settings.LOGIN_THROTTLE_BASE_DELAY_SECONDS = 1
    settings.LOGIN_THROTTLE_MAX_DELAY_SECONDS = 60
    settings.RATE_LIMITS = {}
    clock.set_frozen(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))


def fail(identifier, ip, times=1, **kwargs):
    for _ in range(times):
        with pytest.raises(NotAuthenticated):
            login_check(identifier=identifier, password="guess", client_ip=ip, **kwargs)


def fail_patiently(identifier, ip, times, **kwargs):
    """Fail ``times``, each time waiting out the wait (the cap is 60 s)."""
    for n in range(times):
        if n:
            wait(60)
        fail(identifier, ip, **kwargs)


def refused(identifier, ip, password=PASSWORD, **kwargs) -> TooManyRequests:
    with pytest.raises(TooManyRequests) as caught:
        login_check(identifier=identifier, password=password, client_ip=ip, **kwargs)
    return caught.value


def wait(seconds: float) -> None:
    clock.advance(timedelta(seconds=seconds))


def test_login_by_email_or_mobile():
    user = make_user(mobile="13900139000")
    assert authenticate(username=user.email, password=PASSWORD) == user
    assert authenticate(username="13900139000", password=PASSWORD) == user
    assert login_check(identifier="13900139000", password=PASSWORD) == user


def test_login_with_wrong_password_is_refused():
    user = make_user()
    fail(user.email, HOME)


def test_inactive_users_cannot_log_in():
    user = make_user(is_active=False)
    with pytest.raises(NotAuthenticated):
        login_check(identifier=user.email, password=PASSWORD)


def test_the_wait_doubles_after_the_free_failures_up_to_the_cap():
    waits = [backoff_seconds(n, free=3, base=1, cap=60) for n in range(12)]
    assert waits == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff_seconds(10_000, free=3, base=1, cap=60) == 60


def test_after_the_free_failures_even_the_right_password_must_wait_its_turn():
    user = make_user()
    fail(user.email, HOME, times=3)
    error = refused(user.email, HOME)
    assert error.code == "login_throttled" and error.retry_after == 1
    wait(1)
    assert login_check(identifier=user.email, password=PASSWORD, client_ip=HOME) == user


def test_each_further_failure_doubles_the_wait():
    user = make_user()
    fail(user.email, ATTACKER, times=3)
    for expected in (1, 2, 4, 8):
        assert refused(user.email, ATTACKER, password="guess").retry_after == expected
        wait(expected)
        fail(user.email, ATTACKER)
    assert refused(user.email, ATTACKER).retry_after == 16


def test_a_refused_try_does_not_count_as_a_failure():
    user = make_user()
    fail(user.email, ATTACKER, times=3)
    for _ in range(5):
        refused(user.email, ATTACKER, password="guess")
    wait(1)
    fail(user.email, ATTACKER)
    assert refused(user.email, ATTACKER).retry_after == 2


def test_a_strangers_failures_do_not_slow_the_owner_at_another_address():
    user = make_user()
    fail_patiently(user.email, ATTACKER, times=8)
    assert login_check(identifier=user.email, password=PASSWORD, client_ip=HOME) == user


def test_a_success_forgets_the_failures_of_that_account_and_address():
    user = make_user()
    fail(user.email, HOME, times=3)
    wait(1)
    login_check(identifier=user.email, password=PASSWORD, client_ip=HOME)
    fail(user.email, HOME, times=2)  # free again
    assert login_check(identifier=user.email, password=PASSWORD, client_ip=HOME) == user


def test_failures_are_forgotten_after_a_quiet_period(settings):
    settings.LOGIN_THROTTLE_FORGET_SECONDS = 3600
    user = make_user()
    fail_patiently(user.email, ATTACKER, times=6)
    wait(3601)
    fail(user.email, ATTACKER, times=2)  # free again


def test_one_address_trying_many_accounts_is_slowed_down_across_them():
    victims = [make_user() for _ in range(10)]
    for victim in victims:
        fail(victim.email, ATTACKER)  # one failure each: never the per-account limit
    fresh = make_user()
    error = refused(fresh.email, ATTACKER, password="guess")
    assert error.code == "login_throttled"
    # ... and only that address
    assert login_check(identifier=fresh.email, password=PASSWORD, client_ip=HOME) == fresh


def test_many_addresses_trying_one_account_slow_down_only_unknown_devices():
    user = make_user()
    device = known_device_token(user=user)
    for n in range(30):
        fail(user.email, f"192.0.2.{n}")
    assert refused(user.email, CAFE).code == "login_throttled"
    assert (
        login_check(identifier=user.email, password=PASSWORD, client_ip=CAFE, device_token=device)
        == user
    )


def test_a_known_device_signs_in_while_its_own_address_is_throttled():
    user = make_user()
    device = known_device_token(user=user)
    fail_patiently(user.email, CAFE, times=12)  # someone in the same cafe guesses
    refused(user.email, CAFE)
    assert (
        login_check(identifier=user.email, password=PASSWORD, client_ip=CAFE, device_token=device)
        == user
    )


def test_a_known_device_is_throttled_by_its_own_failures_only():
    user = make_user()
    device = known_device_token(user=user)
    fail(user.email, HOME, times=3, device_token=device)
    with pytest.raises(TooManyRequests):
        login_check(identifier=user.email, password=PASSWORD, client_ip=HOME, device_token=device)
    assert login_check(identifier=user.email, password=PASSWORD, client_ip=HOME) == user


def test_a_device_token_of_another_account_makes_no_device_known():
    user, other = make_user(), make_user()
    foreign = known_device_token(user=other)
    fail(user.email, HOME, times=3)
    refused(user.email, HOME, device_token=foreign)


def test_a_forged_or_stale_device_token_is_ignored(settings):
    user = make_user()
    settings.LOGIN_KNOWN_DEVICE_DAYS = 1
    old = known_device_token(user=user)
    wait(86400 + 1)
    fail(user.email, HOME, times=3)
    refused(user.email, HOME, device_token="forged:token")
    refused(user.email, HOME, device_token=old)


def test_a_new_password_forgets_the_known_devices():
    user = make_user()
    device = known_device_token(user=user)
    user.set_password("a-brand-new-secret-77")
    user.save()
    fail(user.email, HOME, times=3)
    refused(user.email, HOME, password="a-brand-new-secret-77", device_token=device)


def test_logging_out_everywhere_forgets_the_known_devices():
    user = make_user()
    device = known_device_token(user=user)
    user_logout_everywhere(user=user)
    fail(user.email, HOME, times=3)
    refused(user.email, HOME, device_token=device)


def test_a_device_keeps_its_id_when_its_token_is_renewed():
    user = make_user()
    first = known_device_token(user=user)
    renewed = known_device_token(user=user, device_token=first)
    fail(user.email, HOME, times=3, device_token=first)
    refused(user.email, HOME, device_token=renewed)


def test_only_one_try_at_a_time_per_account_and_address():
    from django.core.cache import cache

    from designmall.accounts import login

    user = make_user()
    scope_key = f"pair:{login._hash(user.email)}:{login._hash(HOME)}"
    cache.add(f"login:{scope_key}:busy", 1)  # another try is being checked right now
    assert refused(user.email, HOME).retry_after == 1
    assert login_check(identifier=user.email, password=PASSWORD, client_ip=ATTACKER) == user


def test_tries_from_one_address_are_rate_limited(settings):
    settings.RATE_LIMITS = {"login": {"address": "5/60"}}
    user = make_user()
    for _ in range(5):
        login_check(identifier=user.email, password=PASSWORD, client_ip=HOME)
    error = refused(user.email, HOME)
    assert error.code == "rate_limited" and 1 <= error.retry_after <= 60
    assert login_check(identifier=user.email, password=PASSWORD, client_ip=ATTACKER) == user
