"""Account and security pages: password reset by email, password and email change, log out
everywhere. The rules are in ``accounts.recovery``; these pages only ask and show."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from designmall.accounts import recovery
from designmall.accounts.models import EmailChange
from designmall.core.errors import DomainError
from designmall.storefront.recovery_forms import (
    EmailChangeForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
)

# Like Django's PasswordResetConfirmView: the token moves from the address into the
# session, so it never sits in the address bar, the history or a Referer header.
RESET_SESSION_KEY = "_password_reset_token"
RESET_URL_TOKEN = "set-password"


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


# --- password reset (logged out) ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recovery.password_reset_request(
                email=form.cleaned_data["email"], language=get_language()
            )
        except DomainError as exc:
            form.add_error("email", exc.message)
        else:
            return redirect("storefront:password_reset_sent")
    return render(request, "storefront/account/password_reset.html", {"form": form})


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    return render(
        request, "storefront/account/password_reset_sent.html", {"reset_minutes": minutes}
    )


@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    if token != RESET_URL_TOKEN:
        if recovery.password_reset_user(uid=uid, token=token) is None:
            return _reset_link_invalid(request)
        request.session[RESET_SESSION_KEY] = token
        return redirect("storefront:password_reset_confirm", uid, RESET_URL_TOKEN)
    token = request.session.get(RESET_SESSION_KEY, "")
    if recovery.password_reset_user(uid=uid, token=token) is None:
        return _reset_link_invalid(request)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recovery.password_reset_confirm(
                uid=uid, token=token, new_password=form.cleaned_data["new_password"]
            )
        except DomainError as exc:
            form.add_error("new_password", exc.message)
        else:
            request.session.pop(RESET_SESSION_KEY, None)
            messages.success(request, _("密码已重设，所有设备都已退出登录。请用新密码登录。"))
            return redirect("storefront:login")
    return render(request, "storefront/account/password_reset_confirm.html", {"form": form})


def _reset_link_invalid(request: HttpRequest) -> HttpResponse:
    request.session.pop(RESET_SESSION_KEY, None)
    return render(request, "storefront/account/password_reset_invalid.html", status=400)


# --- the account page (logged in) -------------------------------------------------------------


@login_required
def account(request: HttpRequest) -> HttpResponse:
    pending = (
        EmailChange.objects.filter(
            user=request.user, confirmed_at__isnull=True, cancelled_at__isnull=True
        )
        .order_by("-created_at")
        .first()
    )
    return render(request, "storefront/account/account.html", {"pending_change": pending})


@login_required
@require_POST
def account_logout_everywhere(request: HttpRequest) -> HttpResponse:
    recovery.user_logout_everywhere(user=request.user, by=request.user)
    auth_logout(request)
    messages.success(request, _("已在所有设备上退出登录，API 令牌已全部撤销。"))
    return redirect("storefront:login")


@login_required
@require_http_methods(["GET", "POST"])
def account_password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = recovery.password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                client_ip=_client_ip(request),
            )
        except DomainError as exc:
            field = "old_password" if exc.code == "wrong_password" else None
            form.add_error(field if field else "new_password", exc.message)
        else:
            update_session_auth_hash(request, user)  # this device stays logged in
            messages.success(request, _("密码已修改。其他设备已退出登录，API 令牌已全部撤销。"))
            return redirect("storefront:account")
    return render(request, "storefront/account/password_change.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def account_email(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = recovery.email_change_request(
                user=request.user,
                new_email=form.cleaned_data["new_email"],
                password=form.cleaned_data["password"],
                client_ip=_client_ip(request),
                language=get_language(),
            )
        except DomainError as exc:
            field = "password" if exc.code == "wrong_password" else "new_email"
            form.add_error(field, exc.message)
        else:
            messages.success(
                request,
                _("确认邮件已发送到 %(email)s，打开邮件中的链接后才会更换。")
                % {"email": change.new_email},
            )
            return redirect("storefront:account")
    return render(request, "storefront/account/email_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what will change; only the button (POST) changes it, so a mail scanner
    that opens links cannot confirm for the user."""
    try:
        change = recovery.email_change_pending(token=token)
        if request.method == "POST":
            user = recovery.email_change_confirm(token=token)
    except DomainError as exc:
        return render(
            request,
            "storefront/account/email_change_confirm.html",
            {"error": exc.message},
            status=400 if exc.status == 422 else exc.status,
        )
    if request.method == "POST":
        messages.success(request, _("邮箱已更换为 %(email)s。") % {"email": user.email})
        if request.user.is_authenticated:
            return redirect("storefront:account")
        return redirect("storefront:login")
    return render(request, "storefront/account/email_change_confirm.html", {"change": change})
