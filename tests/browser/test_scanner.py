"""A staff member checks tickets in on the scanner page in a real browser: one typed in by
hand, one read by the phone's camera (Chromium's fake camera playing a video of the
ticket's QR code, decoded by the vendored jsQR), both sent to the check-in API.

Same setup as test_browse.py: headless Chromium through Playwright against the live
server; the staff member's session is the test client's login. The clock is stopped ten
minutes before the lecture starts (it is shared with the live server's thread).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import qrcode
from django.conf import settings as django_settings
from PIL import Image

from designmall.core import clock
from designmall.events.models import CheckIn, Scan
from tests.browser.test_browse import CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.events.checkin_kit import make_list, make_staff, payload, tickets_of
from tests.factories import make_event, make_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]
SHANGHAI = ZoneInfo("Asia/Shanghai")
WIDTH, HEIGHT = 640, 480


def qr_video(text: str, path: Path, frames: int = 10) -> Path:
    """A short YUV4MPEG2 video of ``text``'s QR code: what Chromium's fake camera plays."""
    code = qrcode.make(text, box_size=7, border=4).get_image().convert("L")
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(code, ((WIDTH - code.width) // 2, (HEIGHT - code.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _n in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)
    return path


@pytest.fixture
def door_and_tickets(transactional_db, client, live_server, settings):
    settings.EVENT_DOORS_OPEN_MINUTES = 60
    starts = datetime(2026, 11, 21, 14, 0, tzinfo=SHANGHAI)
    clock.set_frozen(starts - timedelta(days=1))
    lecture = make_session(
        event=make_event(kind="lecture", title_zh="日常的未来：材料讲座"), starts_at=starts
    )
    typed, filmed = tickets_of(lecture)[0], tickets_of(lecture)[0]
    staff = make_staff("检票员小李")
    door = make_list(lecture, staff=[staff], gate="东门", name="材料讲座")
    clock.set_frozen(starts - timedelta(minutes=10))
    client.force_login(staff)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    yield door, typed, filmed, cookie, live_server.url
    clock.reset()


def test_staff_check_tickets_in_by_hand_and_with_the_camera(door_and_tickets, tmp_path):
    door, typed, filmed, cookie, url = door_and_tickets
    video = qr_video(payload(filmed), tmp_path / "ticket.y4m")
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(exist_ok=True)
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *camera]
        )
        context = browser.new_context(
            base_url=url,
            viewport={"width": 390, "height": 844},
            # A visiting staff member's phone, in English and London time, on the Chinese
            # page: answers follow the page's language, times stay the venue's.
            locale="en-US",
            timezone_id="Europe/London",
        )
        context.grant_permissions(["camera"])
        context.add_cookies(
            [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": url}]
        )
        page = context.new_page()

        page.goto("/scanner/")
        page.get_by_text("材料讲座", exact=True).click()
        page.wait_for_url(f"**/scanner/{door.public_id}/")
        result = page.locator("[data-result]")
        # The page has settled (its offline data downloaded) before the door opens; on a
        # busy CI machine a scan sent among the page's first requests took over 5 s.
        expect(page.locator("[data-bundle-age]")).to_contain_text("2 张票", timeout=20_000)

        # By hand: the ticket id typed in, sent by scanner.js (the page does not reload).
        page.locator('input[name="payload"]').fill(typed.public_id)
        page.get_by_role("button", name="检票").click()
        expect(result).to_have_class("scan-result scan-ok", timeout=15_000)
        expect(result).to_contain_text("验票通过，请入场。")
        expect(result).to_contain_text("日常的未来：材料讲座 · 11-21 14:00")
        expect(page.locator('input[name="payload"]')).to_have_value("")
        expect(page.locator("[data-figures]")).to_have_text("已入场 1 / 2，在场内 1")
        page.screenshot(path=str(SHOTS / "scanner-1-typed.png"), full_page=True)

        # Again: red, with when and where it entered.
        page.locator('input[name="payload"]').fill(typed.public_id)
        page.get_by_role("button", name="检票").click()
        expect(result).to_have_class("scan-result scan-bad")
        expect(result).to_contain_text("在「东门」检票入场")

        # The camera: the fake camera films the other ticket's QR code.
        page.get_by_role("button", name="打开摄像头扫码").click()
        expect(result).to_have_class("scan-result scan-ok", timeout=15_000)
        expect(page.get_by_role("button", name="打开摄像头扫码")).to_be_hidden()
        expect(page.locator("[data-figures]")).to_have_text("已入场 2 / 2，在场内 2")
        page.screenshot(path=str(SHOTS / "scanner-2-camera.png"), full_page=True)
        page.get_by_role("button", name="停止扫码").click()

        context.close()
        browser.close()

    assert CheckIn.objects.filter(ticket=typed, gate="东门").exists()
    filmed_scan = Scan.objects.get(ticket=filmed)
    assert (filmed_scan.outcome, filmed_scan.code) == ("accepted", payload(filmed))
    assert CheckIn.objects.count() == 2
