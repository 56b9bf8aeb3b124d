"""Who is calling: an API token, or the browser's Django session.

A request carrying ``Authorization: Bearer dm_...`` is the token's user, and
a bad token is refused outright (it does not fall back to the session).
Otherwise the session's user is taken, and for requests that change state
the CSRF token must match, as on any Django form: the storefront's JS sends
``X-CSRFToken``. Tokens need no CSRF check: a browser never adds them by
itself.

``AUTHENTICATED`` and ``OPERATOR`` are the ``auth=`` lists of the routers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from designmall.accounts.models import User
from designmall.accounts.roles import Role
from designmall.accounts.services import api_token_authenticate
from designmall.core.errors import NotAuthenticated, PermissionDenied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _with_role(user: User, role: Role | None) -> User:
    if role is not None and not (user.is_superuser or user.has_role(role)):
        raise PermissionDenied(
            _("你没有执行此操作的权限。"), code="role_required", details={"role": role.value}
        )
    return user


class BearerToken(HttpBearer):
    """``Authorization: Bearer dm_...``: an API token from ``POST /auth/tokens``."""

    def __init__(self, role: Role | None = None) -> None:
        self.role = role
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = api_token_authenticate(token)
        if user is None:
            raise NotAuthenticated(_("API 令牌无效或已被撤销。"))
        return _with_role(user, self.role)


class SessionCookie(APIKeyCookie):
    """The Django session of a logged-in browser; changes need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, role: Role | None = None) -> None:
        self.role = role
        # The CSRF check is made below, only once the session has a user: an
        # anonymous request is "not authenticated", not "CSRF failed".
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise PermissionDenied(_("CSRF 校验失败，请刷新页面后重试。"), code="csrf_failed")
        return _with_role(user, self.role)


AUTHENTICATED = [BearerToken(), SessionCookie()]
OPERATOR = [BearerToken(Role.OPERATOR), SessionCookie(Role.OPERATOR)]
VENUE_STAFF = [BearerToken(Role.VENUE_STAFF), SessionCookie(Role.VENUE_STAFF)]
FINANCE = [BearerToken(Role.FINANCE), SessionCookie(Role.FINANCE)]
