"""With ``API_TOKEN_CACHE_SECONDS`` (on where the cache is Redis) a bearer token's lookup
comes from the cache, and is dropped the moment it could be wrong: the token revoked,
its user saved (deactivated), or logged out everywhere."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from designmall.accounts import services
from designmall.accounts.recovery import user_logout_everywhere
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _token_cache(settings):
    settings.API_TOKEN_CACHE_SECONDS = 60


@pytest.fixture
def cached_token(django_capture_on_commit_callbacks):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        _, raw = services.api_token_create(user=user, name="phone")
    assert services.api_token_authenticate(raw) == user  # read, touched and cached
    return user, raw


def test_a_cached_token_authenticates_without_a_query(cached_token):
    user, raw = cached_token
    with CaptureQueriesContext(connection) as queries:
        assert services.api_token_authenticate(raw) == user
    assert len(queries) == 0


def test_a_revoked_token_is_refused_at_once_though_it_was_cached(
    cached_token, django_capture_on_commit_callbacks
):
    user, raw = cached_token
    token = user.api_tokens.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.api_token_revoke(user=user, token_public_id=token.public_id)
    assert services.api_token_authenticate(raw) is None


def test_a_deactivated_users_cached_token_is_refused_at_once(
    cached_token, django_capture_on_commit_callbacks
):
    user, raw = cached_token
    user.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        user.save()
    assert services.api_token_authenticate(raw) is None


def test_logging_out_everywhere_drops_the_cached_tokens(
    cached_token, django_capture_on_commit_callbacks
):
    user, raw = cached_token
    with django_capture_on_commit_callbacks(execute=True):
        user_logout_everywhere(user=user)
    assert services.api_token_authenticate(raw) is None


def test_without_the_setting_every_lookup_reads_the_database(settings, cached_token):
    settings.API_TOKEN_CACHE_SECONDS = 0
    user, raw = cached_token
    with CaptureQueriesContext(connection) as queries:
        assert services.api_token_authenticate(raw) == user
    assert len(queries) == 1
