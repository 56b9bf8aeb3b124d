"""Browser middleware left out of API calls made with a bearer token.

An API call carrying ``Authorization: Bearer ...`` is answered for the token's user alone
(``api.auth.BearerToken``: a bad token is refused, never replaced by the session), in
JSON, to a client that is not a browser rendering a page. The session, its user, CSRF,
flash messages and the page's Content-Security-Policy serve browsers; for these calls
they were only work: reading and maybe saving the session, building the policy header.
Each middleware below is Django's own (or django-csp's), passed by when the request is
such a call, and unchanged otherwise: API calls riding on a browser's session still go
through all of them and keep their CSRF check. Django's CSRF middleware stays as it is (the
deploy checks look for it by name, and the API's views are CSRF-exempt to it already: it
costs such a call a cookie read).
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware as _CSPMiddleware
from django.contrib.auth.middleware import AuthenticationMiddleware as _AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware as _MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as _SessionMiddleware

API_PREFIX = "/api/"


def is_api_token_call(request) -> bool:
    """An API call authenticated by a bearer token (decided once per request)."""
    found = request.__dict__.get("_api_token_call")
    if found is None:
        found = request.path_info.startswith(API_PREFIX) and request.META.get(
            "HTTP_AUTHORIZATION", ""
        ).startswith("Bearer ")
        request._api_token_call = found
    return found


class _PassedByApiTokenCalls:
    def __call__(self, request):
        if is_api_token_call(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(_PassedByApiTokenCalls, _SessionMiddleware):
    pass


class AuthenticationMiddleware(_PassedByApiTokenCalls, _AuthenticationMiddleware):
    def __call__(self, request):
        if is_api_token_call(request):
            # The caller is ``request.auth`` (the token's user); no session says otherwise.
            request.user = AnonymousUser()
            return self.get_response(request)
        return super().__call__(request)


class MessageMiddleware(_PassedByApiTokenCalls, _MessageMiddleware):
    pass


class CSPMiddleware(_PassedByApiTokenCalls, _CSPMiddleware):
    pass
