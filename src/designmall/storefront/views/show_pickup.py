"""The booth counter (phone first): the shop's seller or booth staff scan a buyer's pickup
code (camera, or typed), hand over some or all of the items (核销) and may reverse a
redemption within its window (冲正). Rules are in ``o2o.redemption``; these pages parse,
call and show.

Each redemption form carries its own serial (流水号), drawn when the form is drawn: a
double submit or a resent form is the same serial, so it counts once. The device is this
browser, known by a signed cookie id.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designmall.accounts.models import User
from designmall.catalog.services import shop_for_seller
from designmall.core import clock
from designmall.core.errors import DomainError, NotFound, PermissionDenied
from designmall.o2o import pickup, redemption
from designmall.o2o.models import Booth, BoothStatus
from designmall.o2o.redemption_models import Redeemable, Redemption

DEVICE_COOKIE = "dm_counter"
DEVICE_COOKIE_SECONDS = 365 * 24 * 3600
RECENT_REDEMPTIONS = 10


def _device(request: HttpRequest) -> str:
    return request.get_signed_cookie(DEVICE_COOKIE, default="", salt="o2o.counter")


def _with_device(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not _device(request):
        response.set_signed_cookie(
            DEVICE_COOKIE,
            f"web-{secrets.token_hex(6)}",
            salt="o2o.counter",
            max_age=DEVICE_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def _device_name(request: HttpRequest) -> str:
    return _device(request) or "web"


def _my_booths(request: HttpRequest):
    return (
        Booth.objects.filter(
            shop_id__in=redemption.staff_shop_ids(request.user), status=BoothStatus.ACTIVE
        )
        .select_related("shop", "venue", "hall")
        .order_by("opens_on", "venue_id", "number")
    )


def _my_booth(request: HttpRequest, public_id: str) -> Booth:
    found = _my_booths(request).filter(public_id=public_id).first()
    if found is None:
        raise Http404(_("没有找到这个展位。"))
    return found


@login_required
@require_GET
def counter(request: HttpRequest) -> HttpResponse:
    """The booths the signed-in seller or staff member works at; one goes straight in."""
    booths = list(_my_booths(request))
    if len(booths) == 1:
        return redirect("storefront:show_counter_booth", public_id=booths[0].public_id)
    return render(request, "storefront/show/pickup/counter.html", {"booths": booths})


@login_required
@require_http_methods(["GET", "POST"])
def counter_booth(request: HttpRequest, public_id: str) -> HttpResponse:
    """Scan or type a pickup code (POST finds it and opens it); the pickups still waiting."""
    booth = _my_booth(request, public_id)
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")[:64]
        try:
            found = redemption.redeemable_by_code(user=request.user, code=code)
        except DomainError as exc:
            error = exc.message
        else:
            return redirect(
                "storefront:show_counter_pickup",
                public_id=booth.public_id,
                redeemable=found.public_id,
            )
    waiting = list(pickup.pending_pickups(booth=booth)[:50])
    response = render(
        request,
        "storefront/show/pickup/booth.html",
        {"booth": booth, "waiting": waiting, "error": error},
        status=422 if error else 200,
    )
    return _with_device(request, response)


def _pickup_for(request: HttpRequest, booth: Booth, public_id: str) -> Redeemable:
    try:
        found = redemption.redeemable_for_staff(user=request.user, public_id=public_id)
    except (NotFound, PermissionDenied):
        raise Http404(_("没有找到这个自提订单。")) from None
    return found


@login_required
@require_http_methods(["GET", "POST"])
def counter_pickup(request: HttpRequest, public_id: str, redeemable: str) -> HttpResponse:
    """One buyer's pickup: what is left of each item, hand over some or all of it."""
    booth = _my_booth(request, public_id)
    found = _pickup_for(request, booth, redeemable)
    if request.method == "POST":
        wanted = {}
        for item in redemption.items_of(found):
            text = request.POST.get(f"item-{item.position}", "").strip()
            if text and text != "0":
                wanted[str(item.position)] = int(text) if text.isdigit() else -1
        try:
            done = redemption.redeem(
                redeemable=found,
                by=request.user,
                serial=request.POST.get("serial", ""),
                device=_device_name(request),
                items=wanted or {"0": 0},
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("已核销 %(n)d 件（流水号 %(serial)s）。")
                % {"n": done.redemption.quantity, "serial": done.redemption.serial},
            )
        return redirect(
            "storefront:show_counter_pickup", public_id=booth.public_id, redeemable=found.public_id
        )
    items = redemption.items_of(found)
    recent = list(
        Redemption.objects.filter(redeemable=found)
        .select_related("reversal", "staff")
        .order_by("-redeemed_at", "-id")[:RECENT_REDEMPTIONS]
    )
    window = redemption.reversal_window()
    now = clock.now()
    for made in recent:
        made.can_reverse = not made.is_reversed and now < made.redeemed_at + window
    response = render(
        request,
        "storefront/show/pickup/pickup.html",
        {
            "booth": booth,
            "pickup": found,
            "items": items,
            "left": sum(item.remaining for item in items),
            "serial": f"web-{secrets.token_hex(10)}",
            "recent": recent,
            "window_minutes": int(window.total_seconds() // 60),
        },
    )
    return _with_device(request, response)


@login_required
@require_POST
def counter_reverse(request: HttpRequest, public_id: str, redeemable: str) -> HttpResponse:
    """冲正 a redemption of this pickup by its serial."""
    booth = _my_booth(request, public_id)
    found = _pickup_for(request, booth, redeemable)
    serial = request.POST.get("serial", "")[:64]
    if not Redemption.objects.filter(redeemable=found, serial=serial).exists():
        raise Http404(_("没有找到这个流水号的核销记录。"))
    try:
        redemption.redemption_reverse(
            serial=serial,
            by=request.user,
            device=_device_name(request),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已冲正流水号 %(serial)s。") % {"serial": serial})
    return redirect(
        "storefront:show_counter_pickup", public_id=booth.public_id, redeemable=found.public_id
    )


# --- the seller's booth staff -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def seller_staff(request: HttpRequest) -> HttpResponse:
    """The seller's booth staff: who may redeem the shop's booth pickups. POST adds one by
    the email of their account (``email``) or takes one off (``remove``: their public id)."""
    try:
        shop = shop_for_seller(user=request.user)
    except NotFound:
        raise Http404(_("您还没有店铺。")) from None
    if request.method == "POST":
        removing = request.POST.get("remove", "")[:40]
        try:
            if removing:
                member = User.objects.filter(public_id=removing).first()
                if member is None:
                    raise NotFound(_("没有使用这个邮箱的账号。"), code="account_not_found")
                redemption.shop_staff_set(shop=shop, user=member, active=False, by=request.user)
                messages.success(request, _("已移出展位员工。"))
            else:
                redemption.shop_staff_add(
                    shop=shop, email=request.POST.get("email", ""), by=request.user
                )
                messages.success(request, _("已添加展位员工。"))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("storefront:seller_booth_staff")
    return render(
        request,
        "storefront/show/pickup/staff.html",
        {"shop": shop, "staff": redemption.shop_staff_of(shop)},
    )
