"""Account recovery: password reset by email, password and email change, log out everywhere.

The rules are in ``accounts.recovery``. Emails are written in the request's
language (``Accept-Language``) and link to the storefront's pages; an app that
opens those links itself confirms them here with the link's ``uid``/``token``.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from designmall.accounts import recovery
from designmall.api.auth import AUTHENTICATED
from designmall.api.errors import with_errors
from designmall.api.schemas import Input, text
from designmall.api.v1.accounts import MeOut, me_out

router = Router(tags=["accounts"])


class MessageOut(Schema):
    message: str


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _keep_own_session(request: HttpRequest, user) -> None:
    """A browser calling with its session stays logged in after its own password change."""
    if getattr(request, "user", None) is not None and request.user.pk == user.pk:
        update_session_auth_hash(request, user)


# --- POST /auth/password-reset ------------------------------------------------------------


class PasswordResetIn(Input):
    email: text(254, min_length=1)


@router.post("/auth/password-reset", response=with_errors({202: MessageOut}, 400, 422))
def auth_password_reset(request: HttpRequest, payload: PasswordResetIn):
    """Mail a password reset link to this address if an account has it.

    The answer is the same whether or not the address is registered (202); only a
    malformed address is refused (422 ``invalid_email``). The link works once, for
    ``PASSWORD_RESET_TIMEOUT`` seconds; its ``uid`` and ``token`` are what
    ``POST /auth/password-reset/confirm`` takes.
    """
    recovery.password_reset_request(email=payload.email, language=get_language())
    return Status(202, {"message": _("如果这个邮箱注册过设计周账号，重设密码的链接已经发出。")})


# --- POST /auth/password-reset/confirm ----------------------------------------------------


class PasswordResetConfirmIn(Input):
    uid: text(24, min_length=1)
    token: text(100, min_length=1)
    new_password: text(128, min_length=1)


@router.post("/auth/password-reset/confirm", response=with_errors({204: None}, 400, 422))
def auth_password_reset_confirm(request: HttpRequest, payload: PasswordResetConfirmIn):
    """Set a new password with a reset link's ``uid`` and ``token``.

    The link is then used up (a second use is 422 ``reset_link_invalid``, as is an
    expired one), every session of the account is ended and every API token revoked.
    """
    recovery.password_reset_confirm(
        uid=payload.uid, token=payload.token, new_password=payload.new_password
    )
    return HttpResponse(status=204)


# --- POST /auth/logout-everywhere ---------------------------------------------------------


@router.post(
    "/auth/logout-everywhere", auth=AUTHENTICATED, response=with_errors({204: None}, 401, 403)
)
def auth_logout_everywhere(request: HttpRequest):
    """End every session of the caller (other devices included) and revoke all their API
    tokens, the one making this call too."""
    recovery.user_logout_everywhere(user=request.auth, by=request.auth)
    return HttpResponse(status=204)


# --- POST /me/password --------------------------------------------------------------------


class PasswordChangeIn(Input):
    old_password: text(128, min_length=1)
    new_password: text(128, min_length=1)


@router.post(
    "/me/password", auth=AUTHENTICATED, response=with_errors({204: None}, 400, 401, 403, 422, 429)
)
def me_password_change(request: HttpRequest, payload: PasswordChangeIn):
    """Change the caller's password (the current one re-entered: 422 ``wrong_password``).

    Every other session is ended and every API token revoked, the caller's too: a token
    client logs in again with the new password. Wrong guesses count as failed logins (429).
    """
    user = recovery.password_change(
        user=request.auth,
        old_password=payload.old_password,
        new_password=payload.new_password,
        client_ip=_client_ip(request),
    )
    _keep_own_session(request, user)
    return HttpResponse(status=204)


# --- POST /me/email -----------------------------------------------------------------------


class EmailChangeIn(Input):
    new_email: text(254, min_length=1)
    password: text(128, min_length=1)


class EmailChangeOut(Schema):
    new_email: str
    expires_at: datetime
    message: str


@router.post(
    "/me/email",
    auth=AUTHENTICATED,
    response=with_errors({202: EmailChangeOut}, 400, 401, 403, 409, 422, 429),
)
def me_email_change(request: HttpRequest, payload: EmailChangeIn):
    """Ask to change the caller's email address (the password re-entered).

    A confirmation link goes to the new address and a notice to the old one; the
    address changes only when the link is confirmed (``POST /auth/email-change/confirm``).
    An address another account has is 409 ``email_taken``.
    """
    change = recovery.email_change_request(
        user=request.auth,
        new_email=payload.new_email,
        password=payload.password,
        client_ip=_client_ip(request),
        language=get_language(),
    )
    message = _("确认邮件已发送到 %(email)s，打开邮件中的链接后才会更换。") % {
        "email": change.new_email
    }
    return Status(
        202,
        {"new_email": change.new_email, "expires_at": change.expires_at, "message": message},
    )


# --- POST /auth/email-change/confirm ------------------------------------------------------


class EmailChangeConfirmIn(Input):
    token: text(400, min_length=1)


@router.post("/auth/email-change/confirm", response=with_errors({200: MeOut}, 400, 409, 422))
def auth_email_change_confirm(request: HttpRequest, payload: EmailChangeConfirmIn):
    """Confirm an email change with the token of the link mailed to the new address.

    Works once, before it expires, and only while the account still has the address
    it had when the change was asked for (else 422 ``email_change_link_invalid``).
    """
    return me_out(recovery.email_change_confirm(token=payload.token))
