"""Login (throttled by accounts.services.login_check), registration and logout."""

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

from designmall.accounts.services import login_check, user_register
from designmall.core.errors import DomainError
from designmall.storefront.forms import LoginForm, RegisterForm
from designmall.storefront.views.orders import session_cart_merge

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


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = login_check(
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                client_ip=request.META.get("REMOTE_ADDR"),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            auth_login(request, user, backend=BACKEND)
            session_cart_merge(request)
            return redirect(_next_url(request))
    return render(request, "storefront/login.html", {"form": form, "next": _next_url(request)})


@require_http_methods(["GET", "POST"])
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
            messages.success(request, _("注册成功，欢迎来到设计周。"))
            return redirect(_next_url(request))
    return render(request, "storefront/register.html", {"form": form, "next": _next_url(request)})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
