"""The venue staff's scanner page: choose a check-in list, then scan tickets with the
phone's camera or type the code in.

The camera is ``scanner.js`` (``getUserMedia`` and the vendored jsQR) posting what it reads
to the check-in API with the browser's session. Typing a code in is a plain form posted
here, so the door works without JavaScript too; its hidden ``scan_id`` is made when the
page is drawn, so sending the same form twice (a reload) records one scan. Only venue
staff get in (403 for anyone else logged in); lists they are not assigned to are 404.
Every decision is ``events.checkin``'s.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

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
    return render(request, "storefront/scanner/lists.html", {"lists": found})


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
        },
        status=422 if request.method == "POST" and result is None else 200,
    )


def _sessions(checkin_list: CheckinList) -> list[Session]:
    return list(checkin_list.sessions.select_related("event").order_by("starts_at", "id"))
