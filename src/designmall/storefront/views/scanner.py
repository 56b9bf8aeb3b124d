"""The venue staff's scanner page: choose a check-in list, then scan tickets with the
phone's camera or type the code in.

The camera is ``scanner.js`` (``getUserMedia`` and the vendored jsQR) posting what it reads
to the check-in API with the browser's session. Typing a code in is a plain form posted
here, so the door works without JavaScript too; its hidden ``scan_id`` is made when the
page is drawn, so sending the same form twice (a reload) records one scan. Only venue
staff get in (403 for anyone else logged in); lists they are not assigned to are 404.
Every decision is ``events.checkin``'s.

Offline, the same page is an offline scanner device: ``scanner-offline.js`` keeps the
list's bundle in the browser (IndexedDB), decides scans by the bundle's rules when the
network is down or the staff member switches offline, queues them and uploads them to the
check-in API later. The service worker (``service_worker``, at ``/scanner/sw.js`` so its
scope covers every scanner page) keeps the page and its scripts for opening offline. The
page's messages for offline decisions are rendered here, so they are translated.
"""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from designmall.core import clock
from designmall.core.errors import DomainError, NotFound
from designmall.events import checkin
from designmall.events.checkin import Scanner
from designmall.events.models import CheckinList, ScanDirection, Session


class ManualScanForm(forms.Form):
    payload = forms.CharField(
        label=gettext_lazy("票码"),
        max_length=checkin.CODE_MAX,
        help_text=gettext_lazy("粘贴二维码内容，或输入票号（tk_ 开头）。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )
    direction = forms.ChoiceField(
        label=gettext_lazy("方向"),
        choices=ScanDirection.choices,
        initial=ScanDirection.ENTRY,
        widget=forms.RadioSelect,
    )
    scan_id = forms.RegexField(regex=checkin.SCAN_ID_RE, widget=forms.HiddenInput)


def _fresh_form(direction: str = ScanDirection.ENTRY) -> ManualScanForm:
    return ManualScanForm(initial={"scan_id": str(uuid.uuid4()), "direction": direction})


def _scanner(request: HttpRequest) -> Scanner:
    if not checkin.is_venue_staff(request.user):
        raise PermissionDenied(_("只有现场检票人员可以使用扫码检票。"))
    return Scanner(request.user)


@login_required
@require_GET
def lists(request: HttpRequest) -> HttpResponse:
    """The lists this staff member checks tickets in on."""
    scanner = _scanner(request)
    found = checkin.checkin_lists_for(scanner=scanner).prefetch_related(
        Prefetch("sessions", Session.objects.select_related("event").order_by("starts_at", "id"))
    )
    today, later, past = lists_by_day(list(found))
    return render(
        request,
        "storefront/scanner/lists.html",
        {"lists": today + later + past, "today": today, "later": later, "past": past},
    )


def lists_by_day(found: list[CheckinList]) -> tuple[list, list, list]:
    """The lists with a session today (in the show's time zone), by their first session
    today; then those whose sessions are still to come, soonest first; then the rest."""
    now = clock.now()
    today_date = timezone.localdate(now)
    today: list[tuple] = []
    later: list[tuple] = []
    past: list[CheckinList] = []
    for item in found:
        sessions = list(item.sessions.all())
        todays = [s for s in sessions if timezone.localdate(s.starts_at) == today_date]
        coming = [s for s in sessions if s.ends_at >= now]
        if todays:
            today.append((todays[0].starts_at, item.pk, item))
        elif coming:
            later.append((coming[0].starts_at, item.pk, item))
        else:
            past.append(item)
    return (
        [entry[2] for entry in sorted(today, key=lambda e: e[:2])],
        [entry[2] for entry in sorted(later, key=lambda e: e[:2])],
        past,
    )


@login_required
@require_http_methods(["GET", "POST"])
def scan(request: HttpRequest, public_id: str) -> HttpResponse:
    """Scan on one list: the camera (with JavaScript) and the manual form (without)."""
    scanner = _scanner(request)
    try:
        checkin_list = checkin.checkin_list_for(scanner=scanner, public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个检票清单。")) from None
    result = None
    form = _fresh_form()
    if request.method == "POST":
        form = ManualScanForm(request.POST)
        if form.is_valid():
            try:
                result = checkin.scan_record(
                    checkin_list=checkin_list,
                    scanner=scanner,
                    scan_id=form.cleaned_data["scan_id"],
                    code=form.cleaned_data["payload"],
                    direction=form.cleaned_data["direction"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                form = _fresh_form(form.cleaned_data["direction"])
    return render(
        request,
        "storefront/scanner/scan.html",
        {
            "checkin_list": checkin_list,
            "sessions": _sessions(checkin_list),
            "status": checkin.checkin_list_status(checkin_list=checkin_list),
            "form": form,
            "result": result,
            "api_url": reverse("api-v1:checkin_scan", args=[checkin_list.public_id]),
            "time_zone": timezone.get_current_timezone_name(),
            "status_url": reverse("api-v1:checkin_status", args=[checkin_list.public_id]),
            "bundle_url": reverse("api-v1:checkin_bundle", args=[checkin_list.public_id]),
            # Queued scans of every list on this phone go up from any list's page.
            "upload_url": reverse("api-v1:checkin_upload", args=[checkin_list.public_id]).replace(
                checkin_list.public_id, "{list}"
            ),
            "sw_url": reverse("storefront:scanner_sw"),
            "lists_url": reverse("storefront:scanner"),
            "csrf_cookie": settings.CSRF_COOKIE_NAME,
            "offline_messages": offline_messages(),
        },
        status=422 if request.method == "POST" and result is None else 200,
    )


def _sessions(checkin_list: CheckinList) -> list[Session]:
    return list(checkin_list.sessions.select_related("event").order_by("starts_at", "id"))


def offline_messages() -> dict[str, str]:
    """What ``scanner-offline.js`` shows, in the active language: the door's answers as
    ``events.checkin.scan_message`` words them (offline there is no event title or gate of
    another door to name), and the offline panel's lines. ``%(name)s`` is filled in by the
    script."""
    return {
        "accepted_entry": _("验票通过，请入场。"),
        "accepted_exit": _("已登记出场。"),
        "already_checked_in_at": _("已于 %(time)s 在「%(gate)s」检票入场。"),
        "already_checked_in": _("这张票已检票入场。"),
        "not_inside_at": _("这张票已于 %(time)s 在「%(gate)s」出场，不在场内。"),
        "not_inside": _("这张票还未入场，不能登记出场。"),
        "revoked": _("这张票已作废，不能入场。"),
        "wrong_list": _("这张票不属于本检票清单。"),
        "not_valid_yet": _("还未到入场时间：%(time)s 起可以入场。"),
        "expired": _("这张票已过期：场次已于 %(time)s 结束。"),
        "bad_signature": _("票码签名无效：可能是伪造或被改动过的票。"),
        "unknown_ticket": _("无法识别的票码。"),
        "decided_offline": _("离线判定"),
        "no_bundle": _("本机还没有这个检票清单的离线数据：请先在有网络时打开本页。"),
        "no_network": _("网络不通，这次扫描没有记录：请重试，或改用离线检票设备。"),
        "no_ed25519": _(
            "这个浏览器不能验证票码签名（需要 HTTPS 和支持 Ed25519 的浏览器），"
            "离线时不能验二维码：请换用新版 Chrome 或 Safari。"
        ),
        "bundle_age": _("离线数据：%(time)s 更新，%(n)s 张票"),
        "bundle_none": _("离线数据：尚未下载"),
        "clock_off": _("本机时钟与服务器相差约 %(n)s 分钟：请校准时钟，离线扫描按本机时间排先后。"),
        "pending": _("待上传 %(n)s"),
        "online": _("在线"),
        "offline": _("离线"),
        "forced_offline": _("离线（手动切换）"),
        "uploading": _("正在上传…"),
        "uploaded": _("已上传 %(n)s 条离线扫描。"),
        "upload_waiting": _("网络不通：恢复后自动上传。"),
        "upload_failed": _("上传没有成功，稍后自动重试：%(reason)s"),
        "let_in": _("本机已放行"),
        "turned_away": _("本机已拒绝"),
        "not_recorded": _("未记录：%(reason)s"),
        "page_saved": _("本页已保存在手机上，断网时也能打开。"),
    }


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The scanner pages' service worker. Served from ``/scanner/`` so that its scope is
    every scanner page; it holds no secrets (the pages it keeps are fetched with the
    staff member's own session), so anyone may read it."""
    return render(
        request,
        "storefront/scanner/sw.js",
        {"cache_name": "designmall-scanner-v1", "lists_url": reverse("storefront:scanner")},
        content_type="text/javascript; charset=utf-8",
    )
