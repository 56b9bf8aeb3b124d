"""On PostgreSQL with real concurrent connections: a recovery link works once even when it
is used several times at the same moment."""

import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.urls import resolve

from designmall.accounts import recovery
from designmall.accounts.models import User
from designmall.core.errors import ValidationFailed
from designmall.core.jobs import run_due_jobs
from tests.concurrency import concurrently
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
USES = 8


def mailed_kwargs(to: str) -> dict[str, str]:
    run_due_jobs()
    message = [m for m in mail.outbox if m.to == [to]][-1]
    return resolve(urlparse(re.search(r"https?://\S+", message.body).group(0)).path).kwargs


def test_a_reset_link_used_at_once_from_several_places_sets_one_password(on_postgres):
    user = make_user()
    recovery.password_reset_request(email=user.email)
    link = mailed_kwargs(user.email)
    passwords = [f"walnut-chair-{i}-lounge" for i in range(USES)]

    def use(password):
        return lambda: recovery.password_reset_confirm(
            uid=link["uid"], token=link["token"], new_password=password
        )

    results = concurrently([use(p) for p in passwords], pool=USES)
    won = [p for p, r in zip(passwords, results, strict=True) if isinstance(r, User)]
    assert len(won) == 1, results
    assert all(
        isinstance(r, ValidationFailed) and r.code == "reset_link_invalid"
        for r in results
        if not isinstance(r, User)
    )
    user.refresh_from_db()
    assert user.check_password(won[0])
    assert user.session_generation == 1


def test_an_email_change_link_confirmed_at_once_changes_the_address_once(on_postgres):
    user = make_user(email="old@example.com")
    recovery.email_change_request(user=user, new_email="new@example.com", password=PASSWORD)
    token = mailed_kwargs("new@example.com")["token"]
    results = concurrently(
        [lambda: recovery.email_change_confirm(token=token) for _ in range(USES)], pool=USES
    )
    assert sum(isinstance(r, User) for r in results) == 1, results
    assert all(isinstance(r, (User, ValidationFailed)) for r in results), results
    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert user.email_changes.get().confirmed_at is not None


def test_logging_out_everywhere_at_once_counts_every_generation(on_postgres):
    user = make_user()
    concurrently([lambda: recovery.user_logout_everywhere(user=user) for _ in range(USES)])
    user.refresh_from_db()
    assert user.session_generation == USES
