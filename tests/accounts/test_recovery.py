"""Account recovery: password reset by email, email change with confirmation, log out everywhere."""

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import mail
from django.test import Client
from django.urls import resolve

from designmall.accounts import recovery
from designmall.accounts.models import EmailChange, User
from designmall.accounts.services import api_token_authenticate, api_token_create
from designmall.core import clock
from designmall.core.audit import AuditEvent
from designmall.core.errors import Conflict, TooManyRequests, ValidationFailed
from designmall.core.jobs import run_due_jobs
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "walnut-lounge-chair-42"


def sent_link(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def reset_link_parts() -> tuple[str, str]:
    """Send the queued emails; the uid and token of the last reset link mailed."""
    run_due_jobs()
    match = resolve(urlparse(sent_link(mail.outbox[-1])).path)
    assert match.url_name == "password_reset_confirm"
    return match.kwargs["uid"], match.kwargs["token"]


def email_change_token() -> str:
    run_due_jobs()
    link = next(sent_link(m) for m in mail.outbox if "email-change" in m.body)
    match = resolve(urlparse(link).path)
    assert match.url_name == "email_change_confirm"
    return match.kwargs["token"]


def logged_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def is_logged_in(client: Client) -> bool:
    from django.contrib.auth import get_user

    return get_user(client).is_authenticated


# --- password reset -----------------------------------------------------------------------


def test_a_reset_request_mails_a_link_to_the_account_address():
    user = make_user(email="ming@example.com")
    recovery.password_reset_request(email="Ming@Example.com")
    uid, _token = reset_link_parts()
    assert [m.to for m in mail.outbox] == [["ming@example.com"]]
    assert uid == user.public_id


def test_a_reset_link_sets_the_new_password_once_and_not_twice():
    user = make_user()
    recovery.password_reset_request(email=user.email)
    uid, token = reset_link_parts()
    recovery.password_reset_confirm(uid=uid, token=token, new_password=NEW_PASSWORD)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    with pytest.raises(ValidationFailed) as exc:
        recovery.password_reset_confirm(uid=uid, token=token, new_password="another-pass-99x")
    assert exc.value.code == "reset_link_invalid"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_reset_link_works_until_the_timeout_and_is_refused_after(settings):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    user = make_user()
    recovery.password_reset_request(email=user.email)
    uid, token = reset_link_parts()
    clock.advance(timedelta(minutes=59))
    assert recovery.password_reset_user(uid=uid, token=token) == user
    clock.advance(timedelta(minutes=2))
    assert recovery.password_reset_user(uid=uid, token=token) is None
    with pytest.raises(ValidationFailed) as exc:
        recovery.password_reset_confirm(uid=uid, token=token, new_password=NEW_PASSWORD)
    assert exc.value.code == "reset_link_invalid"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_forged_or_foreign_token_is_refused():
    ming, hua = make_user(), make_user()
    recovery.password_reset_request(email=ming.email)
    _uid, token = reset_link_parts()
    with pytest.raises(ValidationFailed):
        recovery.password_reset_confirm(uid=hua.public_id, token=token, new_password=NEW_PASSWORD)
    with pytest.raises(ValidationFailed):
        recovery.password_reset_confirm(
            uid=ming.public_id, token="abc-0123456789abcdef", new_password=NEW_PASSWORD
        )


def test_a_weak_new_password_is_refused_and_the_link_still_works():
    user = make_user()
    recovery.password_reset_request(email=user.email)
    uid, token = reset_link_parts()
    with pytest.raises(ValidationFailed) as exc:
        recovery.password_reset_confirm(uid=uid, token=token, new_password="12345678")
    assert exc.value.code == "weak_password"
    recovery.password_reset_confirm(uid=uid, token=token, new_password=NEW_PASSWORD)


@pytest.mark.parametrize("case", ["unknown", "inactive", "mobile_only"])
def test_an_address_without_an_account_gets_the_same_answer_and_no_email(case):
    if case == "inactive":
        make_user(email="gone@example.com", is_active=False)
    if case == "mobile_only":
        User.objects.create_user(mobile="13800138000", password=PASSWORD)
    assert recovery.password_reset_request(email="gone@example.com") is None
    assert run_due_jobs() == 0
    assert mail.outbox == []


def test_a_malformed_address_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        recovery.password_reset_request(email="not-an-email")
    assert exc.value.code == "invalid_email"


def test_reset_emails_to_one_address_are_capped_per_hour_without_telling(settings):
    settings.PASSWORD_RESET_EMAILS_PER_HOUR = 2
    user = make_user()
    for _ in range(4):
        assert recovery.password_reset_request(email=user.email) is None
    run_due_jobs()
    assert len(mail.outbox) == 2


def test_the_reset_email_is_in_the_language_it_was_asked_in():
    user = make_user()
    recovery.password_reset_request(email=user.email, language="en")
    recovery.password_reset_request(email=user.email, language="zh-hans")
    run_due_jobs()
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["Reset your Design Mall password", "重设你的 Design Mall 设计周密码"]
    english = next(m for m in mail.outbox if m.subject.startswith("Reset"))
    assert "60 minutes" in english.body


def test_no_reset_secret_waits_in_the_job_queue():
    from designmall.core.models import Job

    user = make_user()
    recovery.password_reset_request(email=user.email)
    assert Job.objects.get().payload == {"user": user.public_id, "language": "zh-hans"}


def test_a_reset_ends_every_session_and_revokes_every_token():
    user = make_user()
    browser = logged_in_client(user)
    _token, raw = api_token_create(user=user, name="phone")
    recovery.password_reset_request(email=user.email)
    uid, token = reset_link_parts()
    recovery.password_reset_confirm(uid=uid, token=token, new_password=NEW_PASSWORD)
    assert not is_logged_in(browser)
    assert api_token_authenticate(raw) is None
    assert AuditEvent.objects.filter(action="user.password_reset").exists()


def test_logging_out_everywhere_also_ends_pending_reset_links():
    user = make_user()
    recovery.password_reset_request(email=user.email)
    uid, token = reset_link_parts()
    recovery.user_logout_everywhere(user=user)
    assert recovery.password_reset_user(uid=uid, token=token) is None


# --- password change --------------------------------------------------------------------------


def test_a_password_change_needs_the_current_password():
    user = make_user()
    with pytest.raises(ValidationFailed) as exc:
        recovery.password_change(user=user, old_password="guess", new_password=NEW_PASSWORD)
    assert exc.value.code == "wrong_password"


def test_guessing_the_current_password_is_throttled_like_a_login(settings):
    settings.LOGIN_THROTTLE_FREE_FAILURES = 2
    user = make_user()
    for _ in range(2):
        with pytest.raises(ValidationFailed):
            recovery.password_change(user=user, old_password="guess", new_password=NEW_PASSWORD)
    with pytest.raises(TooManyRequests):
        recovery.password_change(user=user, old_password=PASSWORD, new_password=NEW_PASSWORD)


def test_a_password_change_ends_other_sessions_and_revokes_tokens():
    user = make_user()
    other_device = logged_in_client(user)
    _token, raw = api_token_create(user=user, name="phone")
    recovery.password_change(user=user, old_password=PASSWORD, new_password=NEW_PASSWORD)
    assert not is_logged_in(other_device)
    assert api_token_authenticate(raw) is None


# --- log out everywhere -----------------------------------------------------------------------


def test_logging_out_everywhere_ends_every_session_and_revokes_every_token():
    user, other = make_user(), make_user()
    phone, laptop, someone_else = (
        logged_in_client(user),
        logged_in_client(user),
        logged_in_client(other),
    )
    raws = [api_token_create(user=user, name=f"t{i}")[1] for i in range(3)]
    _token, other_raw = api_token_create(user=other, name="theirs")
    assert recovery.user_logout_everywhere(user=user) == 3
    assert not is_logged_in(phone) and not is_logged_in(laptop)
    assert all(api_token_authenticate(raw) is None for raw in raws)
    assert is_logged_in(someone_else)
    assert api_token_authenticate(other_raw) == other
    assert AuditEvent.objects.filter(action="user.logged_out_everywhere").count() == 1


def test_logging_in_again_after_logging_out_everywhere_works():
    user = make_user()
    recovery.user_logout_everywhere(user=user)
    recovery.user_logout_everywhere(user=user)
    client = Client()
    assert client.login(username=user.email, password=PASSWORD)
    assert is_logged_in(client)


def test_sessions_made_before_any_log_out_everywhere_keep_django_s_own_hash():
    """Deploying the session generation logs nobody out."""
    user = make_user()
    assert user.session_generation == 0
    assert user.get_session_auth_hash() == AbstractBaseUser._get_session_auth_hash(user)


def test_sessions_are_ended_also_under_a_rotated_secret_key(settings):
    user = make_user()
    old_hash = user.get_session_auth_hash()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    recovery.user_logout_everywhere(user=user)
    user.refresh_from_db()
    assert old_hash not in list(user.get_session_auth_fallback_hash())


# --- email change -----------------------------------------------------------------------------


def request_change(user, new_email="new@example.com", **kw):
    return recovery.email_change_request(
        user=user, new_email=new_email, password=kw.pop("password", PASSWORD), **kw
    )


def test_an_email_change_waits_for_confirmation_from_the_new_address():
    user = make_user(email="old@example.com")
    request_change(user, "New@Example.com")
    user.refresh_from_db()
    assert user.email == "old@example.com"
    token = email_change_token()
    confirmation = next(m for m in mail.outbox if m.to == ["new@example.com"])
    assert "email-change" in confirmation.body
    recovery.email_change_confirm(token=token)
    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert AuditEvent.objects.filter(action="user.email_changed").exists()


def test_the_old_address_is_told_without_the_link():
    user = make_user(email="old@example.com")
    request_change(user)
    token = email_change_token()
    notice = next(m for m in mail.outbox if m.to == ["old@example.com"])
    assert "new@example.com" in notice.body
    assert token not in notice.body


def test_the_confirmation_link_works_once():
    user = make_user()
    request_change(user)
    token = email_change_token()
    recovery.email_change_confirm(token=token)
    with pytest.raises(ValidationFailed) as exc:
        recovery.email_change_confirm(token=token)
    assert exc.value.code == "email_change_link_invalid"


def test_the_confirmation_link_expires(settings):
    settings.EMAIL_CHANGE_TIMEOUT = 3600
    user = make_user(email="old@example.com")
    request_change(user)
    token = email_change_token()
    clock.advance(timedelta(hours=1, seconds=1))
    with pytest.raises(ValidationFailed):
        recovery.email_change_confirm(token=token)
    user.refresh_from_db()
    assert user.email == "old@example.com"


def test_a_tampered_token_is_refused():
    user = make_user()
    request_change(user)
    token = email_change_token()
    with pytest.raises(ValidationFailed):
        recovery.email_change_confirm(token=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


def test_the_link_is_bound_to_the_address_the_user_had_when_asking():
    user = make_user(email="old@example.com")
    request_change(user, "first@example.com")
    first = email_change_token()
    mail.outbox.clear()
    # The address changes another way (an operator in the back office) meanwhile.
    User.objects.filter(pk=user.pk).update(email="other@example.com")
    with pytest.raises(ValidationFailed):
        recovery.email_change_confirm(token=first)


def test_a_new_request_replaces_the_earlier_one():
    user = make_user()
    request_change(user, "first@example.com")
    first = email_change_token()
    mail.outbox.clear()
    request_change(user, "second@example.com")
    second = email_change_token()
    with pytest.raises(ValidationFailed):
        recovery.email_change_confirm(token=first)
    assert recovery.email_change_confirm(token=second).email == "second@example.com"


def test_an_email_change_needs_the_password():
    user = make_user()
    with pytest.raises(ValidationFailed) as exc:
        request_change(user, password="guess")
    assert exc.value.code == "wrong_password"
    assert not EmailChange.objects.exists()
    assert run_due_jobs() == 0


def test_an_address_another_account_has_is_refused():
    make_user(email="taken@example.com")
    user = make_user()
    with pytest.raises(Conflict) as exc:
        request_change(user, "Taken@Example.com")
    assert exc.value.code == "email_taken"


def test_an_address_taken_between_request_and_confirmation_is_refused():
    user = make_user(email="old@example.com")
    request_change(user, "new@example.com")
    token = email_change_token()
    make_user(email="new@example.com")
    with pytest.raises(Conflict):
        recovery.email_change_confirm(token=token)
    user.refresh_from_db()
    assert user.email == "old@example.com"


def test_the_same_address_is_refused():
    user = make_user(email="same@example.com")
    with pytest.raises(ValidationFailed) as exc:
        request_change(user, "SAME@example.com")
    assert exc.value.code == "same_email"


def test_a_mobile_only_account_can_add_an_email_address():
    user = User.objects.create_user(mobile="13800138000", password=PASSWORD)
    request_change(user, "added@example.com")
    token = email_change_token()
    assert [m.to for m in mail.outbox] == [["added@example.com"]]
    assert recovery.email_change_confirm(token=token).email == "added@example.com"


def test_after_an_email_change_reset_links_for_the_old_address_stop_working():
    user = make_user()
    recovery.password_reset_request(email=user.email)
    uid, reset_token = reset_link_parts()
    request_change(user)
    recovery.email_change_confirm(token=email_change_token())
    assert recovery.password_reset_user(uid=uid, token=reset_token) is None


def test_operators_see_email_changes_in_the_back_office_read_only():
    admin = User.objects.create_superuser(email="root@example.com", password=PASSWORD)
    request_change(make_user(email="old@example.com"))
    client = logged_in_client(admin)
    listing = client.get("/admin/accounts/emailchange/")
    assert listing.status_code == 200
    assert "new@example.com" in listing.text
    assert client.get("/admin/accounts/emailchange/add/").status_code == 403
