"""The scanner page as an offline device, in a real browser: opened once online it keeps the
list's bundle and itself (a service worker); with the network gone it decides each scan by
the bundle's rules (the Ed25519 signature checked with WebCrypto), queues it, survives a
reload, and uploads the queue when the network is back. Switched to offline mode by hand,
it does the same with the network up, and shows where the server decided otherwise.

Same setup as test_scanner.py: headless Chromium through Playwright against the live
server, the staff member's session from the test client. The server's clock is stopped ten
minutes before the lecture starts, and the phone's clock is stopped at the same moment
(its timers too: queued scans go up on the "online" event and the "立即上传" button, not on
the page's periodic retry, so each step is deterministic).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.test import Client

from designmall.core import clock
from designmall.events.models import CheckIn, Scan, ScanConflict, ScanSource
from designmall.events.services import reservation_cancel
from tests.browser.test_browse import CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.events.checkin_kit import make_list, make_staff, payload, scan, tickets_of
from tests.factories import make_event, make_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]
SHANGHAI = ZoneInfo("Asia/Shanghai")
STARTS = datetime(2026, 11, 21, 14, 0, tzinfo=SHANGHAI)
AT_THE_DOOR = STARTS - timedelta(minutes=10)


def forged(code: str) -> str:
    """The QR text with one symbol of the session id changed: still well formed, but the
    signature no longer matches."""
    position = 22
    return code[:position] + ("A" if code[position] != "A" else "B") + code[position + 1 :]


@pytest.fixture
def door(transactional_db, live_server, settings, monkeypatch):
    # Playwright's sync API runs an event loop in this thread (see test_browse.page).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.EVENT_DOORS_OPEN_MINUTES = 60
    clock.set_frozen(STARTS - timedelta(days=1))
    lecture = make_session(
        event=make_event(kind="lecture", title_zh="日常的未来：材料讲座"), starts_at=STARTS
    )
    (first,), (second,), (cancelled,) = (tickets_of(lecture) for _n in range(3))
    reservation_cancel(reservation=cancelled.reservation, by=cancelled.user)
    staff = make_staff("检票员小李")
    east = make_list(lecture, staff=[staff], gate="东门", name="材料讲座")
    clock.set_frozen(AT_THE_DOOR)
    client = Client()
    client.force_login(staff)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    yield {
        "lecture": lecture,
        "list": east,
        "first": first,
        "second": second,
        "cancelled": cancelled,
        "cookie": cookie,
        "url": live_server.url,
    }
    clock.reset()


@pytest.fixture
def phone(door):
    """A staff phone on the east door's scanner page, its bundle and the page kept."""
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=door["url"],
            viewport={"width": 390, "height": 844},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        context.clock.install(time=AT_THE_DOOR - timedelta(seconds=1))
        context.clock.pause_at(AT_THE_DOOR)
        context.add_cookies(
            [
                {
                    "name": django_settings.SESSION_COOKIE_NAME,
                    "value": door["cookie"],
                    "url": door["url"],
                }
            ]
        )
        page = context.new_page()
        page.goto(f"/scanner/{door['list'].public_id}/")
        offline_panel = page.locator("[data-offline-panel]")
        expect(offline_panel.locator("[data-bundle-age]")).to_have_text(
            "离线数据：13:50 更新，2 张票"
        )
        expect(offline_panel.locator("[data-pending]")).to_have_text("待上传 0")
        expect(offline_panel.locator("[data-net]")).to_have_text("在线")
        expect(offline_panel.get_by_text("本页已保存在手机上，断网时也能打开。")).to_be_visible()
        yield context, page
        context.close()
        browser.close()


def check(page, code: str) -> None:
    page.locator('input[name="payload"]').fill(code)
    page.get_by_role("button", name="检票", exact=True).click()


def test_an_offline_phone_decides_queues_and_uploads_when_the_network_is_back(door, phone):
    from playwright.sync_api import expect

    context, page = phone
    result = page.locator("[data-result]")
    pending = page.locator("[data-pending]")
    first, second, cancelled = door["first"], door["second"], door["cancelled"]

    context.set_offline(True)
    expect(page.locator("[data-net]")).to_have_text("离线")

    # A genuine ticket: let in, decided here, waiting to upload.
    check(page, payload(first))
    expect(result).to_have_class("scan-result scan-ok")
    expect(result).to_contain_text("验票通过，请入场。")
    expect(result).to_contain_text("离线判定 · 日常的未来：材料讲座 · 11-21 14:00")
    expect(pending).to_have_text("待上传 1")
    expect(page.locator('input[name="payload"]')).to_have_value("")
    page.screenshot(path=str(SHOTS / "scanner-offline-1-in.png"), full_page=True)

    # The same ticket again: this phone let it in a moment ago.
    check(page, payload(first))
    expect(result).to_have_class("scan-result scan-bad")
    expect(result).to_contain_text("已于 13:50 在「东门」检票入场。")
    expect(pending).to_have_text("待上传 2")

    # A cancelled ticket (among the bundle's revocations), and an altered QR text.
    check(page, payload(cancelled))
    expect(result).to_have_class("scan-result scan-bad")
    expect(result).to_contain_text("这张票已作废，不能入场。")
    check(page, forged(payload(second)))
    expect(result).to_have_class("scan-result scan-bad")
    expect(result).to_contain_text("票码签名无效：可能是伪造或被改动过的票。")

    # A ticket id typed in by hand, found in the bundle's tickets.
    check(page, second.public_id)
    expect(result).to_have_class("scan-result scan-ok")
    expect(pending).to_have_text("待上传 5")

    # Nothing reached the server while the phone was offline. (Asked before the reload: a
    # page the service worker controls sends past Playwright's offline emulation.)
    assert not Scan.objects.exists()

    # Opened again without a network: the kept page, the kept bundle and queue.
    assert page.reload().from_service_worker
    expect(page.locator("[data-pending]")).to_have_text("待上传 5")
    expect(page.locator("[data-bundle-age]")).to_have_text("离线数据：13:50 更新，2 张票")
    expect(page.locator("[data-net]")).to_have_text("离线")
    expect(page.get_by_text("本页已保存在手机上，断网时也能打开。")).to_be_visible()
    page.screenshot(path=str(SHOTS / "scanner-offline-2-reloaded.png"), full_page=True)

    # The network is back: the queue goes up by itself.
    context.set_offline(False)
    expect(page.locator("[data-pending]")).to_have_text("待上传 0")
    expect(page.locator("[data-sync]")).to_have_text("已上传 5 条离线扫描。")
    expect(page.locator("[data-differences]")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "scanner-offline-3-uploaded.png"), full_page=True)

    entered = CheckIn.objects.get(ticket=first)
    assert (entered.gate, entered.entered_at) == ("东门", AT_THE_DOOR)
    assert CheckIn.objects.filter(ticket=second).exists()
    scans = Scan.objects.order_by("id")
    assert {s.source for s in scans} == {ScanSource.OFFLINE}
    assert sorted((s.code[:3], s.device_outcome, s.outcome) for s in scans) == sorted(
        [
            (payload(first)[:3], "accepted", "accepted"),
            (payload(first)[:3], "already_checked_in", "already_checked_in"),
            (payload(cancelled)[:3], "revoked", "revoked"),
            (forged(payload(second))[:3], "bad_signature", "bad_signature"),
            ("tk_", "accepted", "accepted"),
        ]
    )
    assert not Scan.objects.exclude(conflict=ScanConflict.NONE).exists()


def test_offline_mode_by_hand_and_a_verdict_the_server_changes(door, phone):
    from playwright.sync_api import expect

    _context, page = phone
    result = page.locator("[data-result]")
    second = door["second"]
    # After the phone read its bundle, the ticket entered at the west door, online.
    west_staff = make_staff("检票员小王")
    west = make_list(door["lecture"], staff=[west_staff], gate="西门", name="材料讲座西门")
    clock.set_frozen(AT_THE_DOOR - timedelta(minutes=5))
    assert scan(west, west_staff, payload(second)).ok
    clock.set_frozen(AT_THE_DOOR)

    page.get_by_label("离线模式").check()
    expect(page.locator("[data-net]")).to_have_text("离线（手动切换）")
    check(page, second.public_id)
    # The phone's bundle says the ticket has not entered: it lets the visitor in.
    expect(result).to_have_class("scan-result scan-ok")
    expect(result).to_contain_text("离线判定")
    expect(page.locator("[data-pending]")).to_have_text("待上传 1")

    page.get_by_role("button", name="立即上传").click()
    expect(page.locator("[data-pending]")).to_have_text("待上传 0")
    differences = page.locator("[data-differences]")
    expect(differences).to_be_visible()
    expect(differences).to_contain_text(
        f"{second.public_id} · 本机已放行 → 已于 13:45 在「西门」检票入场。"
    )
    page.screenshot(path=str(SHOTS / "scanner-offline-4-conflict.png"), full_page=True)

    offline_scan = Scan.objects.get(ticket=second, source=ScanSource.OFFLINE)
    assert (offline_scan.outcome, offline_scan.conflict) == (
        "already_checked_in",
        ScanConflict.DOUBLE_ENTRY,
    )
    assert CheckIn.objects.get(ticket=second).gate == "西门"
    expect(page.locator("[data-figures]")).to_have_text("已入场 1 / 2，在场内 1")

    # The refreshed bundle knows the ticket is in: scanned again here, it is refused.
    check(page, second.public_id)
    expect(result).to_have_class("scan-result scan-bad")
    expect(result).to_contain_text("这张票已检票入场。")


# A browser whose WebCrypto has no Ed25519 (as older Safari, or any page served over plain
# HTTP, where crypto.subtle is missing altogether).
WITHOUT_ED25519 = """
const importKey = crypto.subtle.importKey.bind(crypto.subtle);
crypto.subtle.importKey = (format, key, algorithm, ...rest) =>
  (algorithm && (algorithm.name || algorithm)) === "Ed25519"
    ? Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError"))
    : importKey(format, key, algorithm, ...rest);
"""


def test_without_ed25519_the_phone_refuses_qr_codes_offline_rather_than_trust_them(door, phone):
    from playwright.sync_api import expect

    context, page = phone
    context.add_init_script(WITHOUT_ED25519)
    page.reload()
    notice = page.locator("[data-no-ed25519]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("这个浏览器不能验证票码签名")
    context.set_offline(True)
    result = page.locator("[data-result]")

    check(page, payload(door["first"]))
    expect(result).to_have_class("scan-result scan-bad")
    expect(result).to_contain_text("这个浏览器不能验证票码签名")
    expect(page.locator("[data-pending]")).to_have_text("待上传 0")

    # A ticket id typed in needs no signature: the bundle's tickets decide it.
    check(page, door["first"].public_id)
    expect(result).to_have_class("scan-result scan-ok")
    expect(page.locator("[data-pending]")).to_have_text("待上传 1")
