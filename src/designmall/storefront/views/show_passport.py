"""The design-week passport's pages: the stamp a booth's rotating QR code opens, the
visitor's passport (stamps, routes, rewards), and the booth's tablet in the seller center
(the code that changes every 30 seconds). Rules are in ``o2o.passport``."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from designmall.core import clock
from designmall.core.errors import DomainError, NotFound
from designmall.o2o import passport, services
from designmall.o2o.passport_qr import qr_svg

PENDING_KEY = "o2o_passport_pending"


@never_cache
@require_GET
def stamp(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """What the tablet's QR code opens: the stamp, or why not. A visitor not logged in
    whose code is good now is stamped after logging in (the moment is kept server-side)."""
    seen_at = None
    if not request.user.is_authenticated:
        try:
            booth = passport.booth_for_stamp(code)
            passport.token_verify(booth=booth, token=token, at=clock.now())
        except NotFound:
            raise Http404(_("没有找到这个展位。")) from None
        except DomainError as exc:
            return _result(request, error=exc, status=409)
        request.session[PENDING_KEY] = {
            "booth": booth.code,
            "token": token,
            "seen_at": clock.now().isoformat(),
        }
        return redirect_to_login(request.get_full_path())
    pending = request.session.pop(PENDING_KEY, None)
    if pending and pending.get("booth") == code.lower() and pending.get("token") == token:
        seen_at = datetime.fromisoformat(pending["seen_at"])
    try:
        result = passport.booth_stamp(
            user=request.user, booth_code=code, token=token, seen_at=seen_at
        )
    except NotFound:
        raise Http404(_("没有找到这个展位。")) from None
    except DomainError as exc:
        return _result(request, error=exc, status=exc.status)
    return _result(request, result=result)


def _result(request: HttpRequest, *, result=None, error=None, status: int = 200) -> HttpResponse:
    return render(
        request,
        "storefront/show/passport/stamp.html",
        {"result": result, "error": error},
        status=status,
    )


@login_required
@require_GET
def my_passport(request: HttpRequest) -> HttpResponse:
    """The visitor's passport: stamps, routes with progress, rewards."""
    passport.passport_settle(user=request.user)
    view = passport.passport_view(user=request.user)
    return render(request, "storefront/show/passport/passport.html", {"view": view})


# --- the booth's tablet (seller center) ---------------------------------------------------------


def _code_data(booth) -> dict:
    shown = passport.booth_code_now(booth)
    return {
        "token": shown.token,
        "url": shown.url,
        "seconds_left": shown.seconds_left,
        "svg": qr_svg(shown.url, label=_("打卡二维码")),
    }


@login_required
@require_GET
def seller_booth_tablet(request: HttpRequest, public_id: str) -> HttpResponse:
    """The booth's tablet: a QR code visitors scan to stamp their passports, changing
    every 30 seconds (the page asks the server for the next one)."""
    try:
        booth = services.booth_for_seller(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个展位。")) from None
    return render(
        request,
        "storefront/show/passport/tablet.html",
        {"booth": booth, "code": _code_data(booth)},
    )


@never_cache
@login_required
@require_GET
def seller_booth_tablet_code(request: HttpRequest, public_id: str) -> JsonResponse:
    """The booth's code now, for the tablet page's refresh."""
    try:
        booth = services.booth_for_seller(user=request.user, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个展位。")) from None
    return JsonResponse(_code_data(booth))
