"""Account recovery: password reset by email, email change with confirmation, log out everywhere.

- **Password reset** uses Django's token generator (``PasswordResetTokenGenerator``):
  a token is an HMAC of the user's password hash, last login, email and session
  generation with a timestamp, so it stops working once the password changes
  (single use), after ``PASSWORD_RESET_TIMEOUT`` seconds, and after "log out
  everywhere". Asking for a reset answers the same whether or not the address is
  registered; the email is queued (``core.jobs``) and sent by the worker.
- **Email change**: the user asks for a new address with their password; a signed
  link naming the request, the user and their current address is mailed to the new
  address, and the old address is told. The address changes only when the link is
  followed, once, before ``EMAIL_CHANGE_TIMEOUT``, and while the user still has the
  address they had when asking.
- **Log out everywhere** raises the user's session generation, which every session's
  auth hash includes (``User._get_session_auth_hash``), so each session made before
  is ended on its next request, whatever the session backend; and it revokes every
  API token. A password reset or change does the same.

Emails are written in the language of the page (or API request) that asked for
them, and their links point at the storefront's pages on ``SITE_URL``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from designmall.accounts.login import login_check
from designmall.accounts.models import ApiToken, EmailChange, User
from designmall.accounts.services import api_tokens_forget_of_user
from designmall.core import clock
from designmall.core.audit import audit_record
from designmall.core.errors import Conflict, NotAuthenticated, ValidationFailed
from designmall.core.jobs import enqueue, job_handler

RESET_MAIL_JOB = "accounts.mail_password_reset"
EMAIL_CHANGE_MAIL_JOB = "accounts.mail_email_change"
EMAIL_CHANGE_SALT = "designmall.accounts.recovery.email_change"


class ResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens, on our clock and ended by "log out everywhere" too."""

    key_salt = "designmall.accounts.recovery.ResetTokenGenerator"

    def _now(self) -> datetime:
        return clock.now().astimezone(UTC).replace(tzinfo=None)

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}:{user.session_generation}"


reset_tokens = ResetTokenGenerator()


def _language(language: str | None) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else settings.LANGUAGE_CODE


def _site_link(view: str, *args: str) -> str:
    return settings.SITE_URL + reverse(view, args=args)


def _clean_email(email: str) -> str:
    value = (email or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationFailed(_("请输入有效的邮箱地址。"), code="invalid_email") from None
    return value


def _check_new_password(user: User, password: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationFailed(
            " ".join(exc.messages), code="weak_password", details=exc.messages
        ) from None


def _confirm_password(*, user: User, password: str, client_ip: str | None) -> None:
    """The user's password, re-entered: counted like a login, so it cannot be guessed."""
    try:
        checked = login_check(
            identifier=user.get_username(), password=password, client_ip=client_ip
        )
    except NotAuthenticated:
        checked = None
    if checked is None or checked.pk != user.pk:
        raise ValidationFailed(_("密码不正确。"), code="wrong_password")


# --- log out everywhere ------------------------------------------------------------


@transaction.atomic
def user_logout_everywhere(*, user: User, by: User | None = None, reason: str = "requested") -> int:
    """End every session of ``user`` (this one included) and revoke all their API tokens.

    Returns how many tokens were revoked. ``user`` is updated in place, so a caller
    that keeps its own session (a password change) can re-hash it with Django's
    ``update_session_auth_hash``.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.session_generation += 1
    locked.save(update_fields=["session_generation"])
    user.session_generation = locked.session_generation
    api_tokens_forget_of_user(user.pk)  # before: it finds the tokens still valid
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    audit_record(
        actor=by or user,
        action="user.logged_out_everywhere",
        target=user,
        reason=reason,
        data={"tokens_revoked": revoked},
    )
    return revoked


# --- password reset -------------------------------------------------------------------


def _reset_quota_taken(email: str) -> bool:
    """Count one reset email to this address; True once the hour's allowance is used up."""
    key = "pwreset:" + hashlib.sha256(email.lower().encode()).hexdigest()[:32]
    if cache.add(key, 1, timeout=3600):
        return False
    try:
        sent = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return False
    return sent > settings.PASSWORD_RESET_EMAILS_PER_HOUR


def password_reset_request(*, email: str, language: str | None = None) -> None:
    """Mail a reset link to the account with this address, if there is one.

    The caller learns nothing: a registered address, an unknown one, an inactive
    account and one over its hourly allowance of emails all return the same.
    Only a malformed address is refused.
    """
    email = _clean_email(email)
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None or not user.has_usable_password() or _reset_quota_taken(email):
        return
    with transaction.atomic():
        enqueue(RESET_MAIL_JOB, {"user": user.public_id, "language": _language(language)})
        audit_record(actor=None, action="user.password_reset_requested", target=user)


def password_reset_user(*, uid: str, token: str) -> User | None:
    """The user a reset link is for, if the link is still good (it is not used up)."""
    user = User.objects.filter(public_id=uid or "", is_active=True).first()
    if user is None or not reset_tokens.check_token(user, token or ""):
        return None
    return user


def _link_invalid() -> ValidationFailed:
    return ValidationFailed(
        _("重设密码的链接无效或已过期，请重新申请。"), code="reset_link_invalid"
    )


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link is used up, every session ended."""
    user = User.objects.select_for_update().filter(public_id=uid or "", is_active=True).first()
    # Checked on the locked row: of two uses at once, the second sees the new password.
    if user is None or not reset_tokens.check_token(user, token or ""):
        raise _link_invalid()
    _check_new_password(user, new_password)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(actor=user, action="user.password_reset", target=user)
    user_logout_everywhere(user=user, reason="password_reset")
    return user


@transaction.atomic
def password_change(
    *, user: User, old_password: str, new_password: str, client_ip: str | None = None
) -> User:
    """Change the password (the old one re-entered); every session and token is ended.

    The caller's own page session may be kept with ``update_session_auth_hash``.
    """
    _confirm_password(user=user, password=old_password, client_ip=client_ip)
    _check_new_password(user, new_password)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(actor=user, action="user.password_changed", target=user)
    user_logout_everywhere(user=user, reason="password_changed")
    return user


@job_handler(RESET_MAIL_JOB, max_attempts=5)
def mail_password_reset(payload: dict[str, Any]) -> None:
    """Send the reset link. The token is made now, so no secret waits in the job table."""
    user = User.objects.filter(public_id=payload["user"], is_active=True).first()
    if user is None or not user.email:
        return
    link = _site_link(
        "storefront:password_reset_confirm", user.public_id, reset_tokens.make_token(user)
    )
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    with translation.override(_language(payload.get("language"))):
        subject = _("重设你的 Design Mall 设计周密码")
        body = "\n".join(
            [
                _("你好，"),
                "",
                _("有人（希望是你）请求重设 Design Mall 设计周账号 %(email)s 的密码。")
                % {"email": user.email},
                _("请在 %(minutes)d 分钟内打开下面的链接设置新密码，链接只能使用一次：")
                % {"minutes": minutes},
                "",
                link,
                "",
                _("设置新密码后，你的账号会在所有设备上退出登录，API 令牌全部失效。"),
                _("如果不是你本人操作，请忽略这封邮件，你的密码不会改变。"),
            ]
        )
    send_mail(subject, body, None, [user.email])


# --- email change ---------------------------------------------------------------------


def email_change_request(
    *,
    user: User,
    new_email: str,
    password: str,
    client_ip: str | None = None,
    language: str | None = None,
) -> EmailChange:
    """Ask to move the account to ``new_email``: a link goes there, a notice to the old one.

    Nothing changes until the link is followed (``email_change_confirm``). A new
    request replaces the user's earlier ones, whose links stop working.
    """
    new_email = _clean_email(new_email).lower()
    if user.email and user.email.lower() == new_email:
        raise ValidationFailed(_("新邮箱与当前邮箱相同。"), code="same_email")
    _confirm_password(user=user, password=password, client_ip=client_ip)
    if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
        raise Conflict(_("该邮箱已被其他账号使用。"), code="email_taken")
    now = clock.now()
    language = _language(language)
    with transaction.atomic():
        EmailChange.objects.filter(
            user=user, confirmed_at__isnull=True, cancelled_at__isnull=True
        ).update(cancelled_at=now)
        change = EmailChange.objects.create(
            user=user,
            old_email=user.email,
            new_email=new_email,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.EMAIL_CHANGE_TIMEOUT),
        )
        enqueue(EMAIL_CHANGE_MAIL_JOB, {"change": change.public_id, "language": language})
        audit_record(
            actor=user,
            action="user.email_change_requested",
            target=user,
            data={"change": change.public_id, "new_email": new_email},
        )
    return change


def email_change_token(change: EmailChange) -> str:
    """The signed token of the confirmation link: the request, its user, the current address."""
    return signing.dumps(
        {"c": change.public_id, "u": change.user.public_id, "e": change.old_email or ""},
        salt=EMAIL_CHANGE_SALT,
    )


def _change_invalid() -> ValidationFailed:
    return ValidationFailed(
        _("确认链接无效或已过期，请重新申请修改邮箱。"), code="email_change_link_invalid"
    )


def _change_from_token(token: str, *, lock: bool) -> tuple[EmailChange, User]:
    try:
        data = signing.loads(
            token or "", salt=EMAIL_CHANGE_SALT, max_age=settings.EMAIL_CHANGE_TIMEOUT
        )
    except signing.BadSignature:  # SignatureExpired included
        raise _change_invalid() from None
    if not isinstance(data, dict):
        raise _change_invalid()
    changes = EmailChange.objects.select_related("user")
    users = User.objects.all()
    if lock:
        changes, users = changes.select_for_update(of=("self",)), users.select_for_update()
    change = changes.filter(public_id=str(data.get("c", ""))).first()
    if change is None:
        raise _change_invalid()
    user = users.get(pk=change.user_id) if lock else change.user
    if (
        change.confirmed_at is not None
        or change.cancelled_at is not None
        or change.expires_at <= clock.now()
        or data.get("u") != user.public_id
        or data.get("e") != (change.old_email or "")
        or (user.email or "").lower() != (change.old_email or "").lower()
        or not user.is_active
    ):
        raise _change_invalid()
    return change, user


def email_change_pending(*, token: str) -> EmailChange:
    """The request a confirmation link is for, if it can still be confirmed (else raises)."""
    change, _user = _change_from_token(token, lock=False)
    return change


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    """Move the account to the new address: once, in time, from the address it had."""
    change, user = _change_from_token(token, lock=True)
    if User.objects.filter(email__iexact=change.new_email).exclude(pk=user.pk).exists():
        raise Conflict(_("该邮箱已被其他账号使用。"), code="email_taken")
    user.email = change.new_email
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError:
        raise Conflict(_("该邮箱已被其他账号使用。"), code="email_taken") from None
    change.confirmed_at = clock.now()
    change.save(update_fields=["confirmed_at"])
    audit_record(
        actor=user,
        action="user.email_changed",
        target=user,
        data={"change": change.public_id, "old_email": change.old_email, "new_email": user.email},
    )
    return user


@job_handler(EMAIL_CHANGE_MAIL_JOB, max_attempts=5)
def mail_email_change(payload: dict[str, Any]) -> None:
    """Mail the confirmation link to the new address and a notice to the old one."""
    change = EmailChange.objects.select_related("user").filter(public_id=payload["change"]).first()
    if change is None or change.confirmed_at or change.cancelled_at:
        return
    link = _site_link("storefront:email_change_confirm", email_change_token(change))
    minutes = settings.EMAIL_CHANGE_TIMEOUT // 60
    with translation.override(_language(payload.get("language"))):
        subject = _("确认你在 Design Mall 设计周的新邮箱")
        body = "\n".join(
            [
                _("你好，"),
                "",
                _("有人请求把 Design Mall 设计周账号的邮箱改为 %(email)s。")
                % {"email": change.new_email},
                _("请在 %(minutes)d 分钟内打开下面的链接确认，链接只能使用一次：")
                % {"minutes": minutes},
                "",
                link,
                "",
                _("如果不是你本人操作，请忽略这封邮件，邮箱不会改变。"),
            ]
        )
        notice = None
        if change.old_email:
            notice = (
                _("你的 Design Mall 设计周账号正在更换邮箱"),
                "\n".join(
                    [
                        _("你好，"),
                        "",
                        _(
                            "有人请求把你的 Design Mall 设计周账号的邮箱从 %(old)s 改为 %(new)s。"
                            "新邮箱确认后才会生效。"
                        )
                        % {"old": change.old_email, "new": change.new_email},
                        "",
                        _(
                            "如果不是你本人操作，请立即登录修改密码，"
                            "并在“账号与安全”中退出所有设备。"
                        ),
                    ]
                ),
            )
    send_mail(subject, body, None, [change.new_email])
    if notice:
        send_mail(notice[0], notice[1], None, [change.old_email])
