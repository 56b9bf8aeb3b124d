"""Login (throttled by accounts.login.login_check), registration and logout."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from designmall.accounts.login import known_device_token, login_check
from designmall.accounts.services import user_register
from designmall.core.errors import DomainError
from designmall.core.ratelimit import client_address, rate_limited
from designmall.storefront.forms import LoginForm, RegisterForm
from designmall.storefront.views.orders import cart_count_remember, session_cart_merge
from designmall.storefront.views.show import visitor_scans_merge

BACKEND = "designmall.accounts.backends.EmailOrMobileBackend"


def _next_url(request: HttpRequest) -> str:
    """Where to go after logging in: the ``next`` asked for if it is on this site."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith((reverse("storefront:login"), reverse("storefront:register"))):
        wanted = ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _remembered(request: HttpRequest, response: HttpResponse, user) -> HttpResponse:
    """``response`` making this browser a known device of ``user``'s account
    (``accounts.login``): a signed long-lived cookie."""
    response.set_cookie(
        settings.LOGIN_KNOWN_DEVICE_COOKIE,
        known_device_token(
            user=user, device_token=request.COOKIES.get(settings.LOGIN_KNOWN_DEVICE_COOKIE)
        ),
        max_age=settings.LOGIN_KNOWN_DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Sign in. A refusal for too many tries is the page with its message, answered 429
    with ``Retry-After``; a success makes this browser a known device of the account
    (a signed long-lived cookie), which others' failed tries never slow down."""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    status, headers = 200, {}
    if request.method == "POST" and form.is_valid():
        device_token = request.COOKIES.get(settings.LOGIN_KNOWN_DEVICE_COOKIE)
        try:
            user = login_check(
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                client_ip=client_address(request),
                device_token=device_token,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            if getattr(exc, "retry_after", None):
                status, headers = exc.status, {"Retry-After": str(exc.retry_after)}
        else:
            auth_login(request, user, backend=BACKEND)
            session_cart_merge(request)
            visitor_scans_merge(request)
            response = cart_count_remember(request, redirect(_next_url(request)))
            return _remembered(request, response, user)
    response = render(
        request, "storefront/login.html", {"form": form, "next": _next_url(request)}, status=status
    )
    for name, value in headers.items():
        response[name] = value
    return response


@require_http_methods(["GET", "POST"])
@rate_limited("register")
def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_register(
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                display_name=form.cleaned_data["display_name"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            auth_login(request, user, backend=BACKEND)
            session_cart_merge(request)
            visitor_scans_merge(request)
            messages.success(request, _("注册成功，欢迎来到设计周。"))
            response = cart_count_remember(request, redirect(_next_url(request)))
            return _remembered(request, response, user)
    return render(request, "storefront/register.html", {"form": form, "next": _next_url(request)})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return cart_count_remember(request, redirect(settings.LOGOUT_REDIRECT_URL), 0)
