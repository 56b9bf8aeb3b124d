"""A buyer who forgot their password, on a phone: the link on the login page, the email,
a new password, logging in with it, then "log out everywhere" on the account page.

Same setup as test_browse.py: headless Chromium through Playwright against the live
server; the email is read from Django's test outbox after the worker's job sends it.
"""

import re
from urllib.parse import urlparse

import pytest
from django.core import mail

from designmall.core.jobs import run_due_jobs
from tests.browser.test_browse import CHROMIUM, SHOTS, page  # noqa: F401  (the browser)
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]
NEW_PASSWORD = "walnut-lounge-chair-42"


def fits_the_phone(page) -> bool:  # noqa: F811
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_buyer_resets_a_forgotten_password_and_logs_out_everywhere(
    transactional_db,
    page,  # noqa: F811
):
    make_user(email="ming@example.com")

    page.goto("/login/")
    page.get_by_role("link", name="忘记密码？").click()
    page.wait_for_url("**/password-reset/")
    page.get_by_label("注册邮箱").fill("ming@example.com")
    assert fits_the_phone(page)
    page.screenshot(path=str(SHOTS / "recovery-1-forgot.png"), full_page=True)
    page.get_by_role("button", name="发送重设链接").click()
    page.wait_for_url("**/password-reset/sent/")
    assert page.get_by_text("重设密码的链接已经发出").is_visible()

    run_due_jobs()
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    page.goto(urlparse(link).path)
    page.wait_for_url("**/set-password/")
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.screenshot(path=str(SHOTS / "recovery-2-new-password.png"), full_page=True)
    page.get_by_role("button", name="设置新密码").click()

    page.wait_for_url("**/login/")
    assert page.get_by_text("密码已重设").is_visible()
    page.get_by_label("邮箱或手机号").fill("ming@example.com")
    page.get_by_label("密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto("/me/account/")
    assert page.locator(".account-facts dd").first.inner_text() == "ming@example.com"
    assert fits_the_phone(page)
    page.screenshot(path=str(SHOTS / "recovery-3-account.png"), full_page=True)
    page.get_by_role("button", name="退出所有设备").click()
    page.wait_for_url("**/login/")
    assert page.get_by_text("已在所有设备上退出登录").is_visible()
