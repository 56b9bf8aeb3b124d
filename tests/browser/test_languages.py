"""Every page speaks one language: walked in a real browser in Chinese and in English, as a
visitor, the demo buyer, the demo seller and the venue staff, no page shows text of the
other language outside user content and deliberate brand lines.

The walk starts from each role's pages and follows the links it finds, one page per kind of
address (public ids stand for any), so pages added later are walked too. Text inside an
element marked ``data-i18n-exempt`` (a person's name, an address, a note, the brand) or
carrying a ``lang`` of its own is not checked.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client

from designmall.accounts.models import User
from designmall.catalog.models import Sku
from designmall.demo.accounts import SELLER_EMAIL
from designmall.demo.programme import BUYER_EMAIL, STAFF_EMAIL
from designmall.orders.aftersales import aftersales_create
from designmall.orders.cart import cart_add
from designmall.orders.models import AfterSalesKind, AfterSalesReason
from tests.browser.test_browse import CHROMIUM, CHROMIUM_ARGS, SHOTS
from tests.demo.conftest import FAST_HASHERS, TEST_SEED, cheap_pictures
from tests.orders.conftest import _orders_settings, buy, orders_of, pay  # noqa: F401
from tests.payments.conftest import (  # noqa: F401  (the sandbox's keys and settings)
    _payments_settings,
    keys,
    sandbox_key_dir,
    worker_transport,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]

PRODUCTS = 24
PAGES_PER_ROLE = 50
# Where each role's walk starts; a signed-in role only follows links into its own area.
START = {
    "visitor": ["/", "/search?q=%E6%A4%85", "/events/", "/auctions/", "/login/", "/register/"],
    "buyer": [
        *("/cart/", "/checkout/", "/orders/", "/me/account/", "/me/events/", "/me/auctions/"),
        # the show on a phone: passport, favourites, the award, scans
        *("/me/passport/", "/o/favourites/", "/o/awards/", "/o/my-scans/"),
    ],
    "seller": [
        *("/seller/", "/seller/orders/", "/seller/settlement/", "/seller/products/new/"),
        *("/seller/booths/", "/seller/booths/dashboard/", "/seller/booth-staff/", "/o/counter/"),
    ],
    "staff": ["/scanner/", "/o/counter/"],
}
AREA = {
    "visitor": None,
    "buyer": ("/cart/", "/checkout/", "/orders/", "/me/", "/o/"),
    "seller": ("/seller/", "/o/counter/"),
    "staff": ("/scanner/", "/backoffice/", "/o/counter/"),
}
# Not pages: the back office (its own language rule), the API, files, streams, sign-out.
NOT_PAGES = re.compile(
    r"^/(admin|api|media|static|i18n|payments)/|/logout/|/events$|\.(js|ico|png|jpg|svg|json|pdf|csv)$"
)
PUBLIC_ID = re.compile(r"^[a-z]{1,4}_[0-9a-z]{16}$")

# The text a page shows (text nodes, labels in attributes, the messages its scripts keep in
# data attributes), less what is exempt: what is in an element marked data-i18n-exempt or
# with a lang of its own, scripts and styles.
READ_TEXT = """() => {
  const own = document.documentElement.lang;
  const exempt = (el) => {
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      if (e.hasAttribute('data-i18n-exempt')) return true;
      if (e.hasAttribute('lang') && e.getAttribute('lang') !== own) return true;
      if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(e.tagName)) return true;
    }
    return false;
  };
  const found = [];
  const exemptTexts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (!text) continue;
    if (exempt(node.parentElement)) exemptTexts.push(text);
    else found.push(['text', text]);
  }
  const named = ['placeholder', 'title', 'aria-label', 'alt'];
  for (const el of document.body.querySelectorAll('*')) {
    if (exempt(el)) continue;
    for (const attr of el.attributes) {
      const data = attr.name.startsWith('data-');
      if (named.includes(attr.name) || data) found.push([data ? 'data' : 'attr', attr.value]);
    }
    if (el.matches('input[type=submit], input[type=button]')) found.push(['attr', el.value]);
  }
  // The title repeats what the page shows: less its exempt parts (a search's words).
  let title = document.title;
  for (const text of exemptTexts) title = title.split(text).join('');
  found.push(['title', title]);
  return {lang: own, found};
}"""

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]")
# English prose: two or more words, one of them three letters or more, no Chinese.
ENGLISH = re.compile(r"[A-Za-z]{3,}[,.!?']?\s+[A-Za-z]{2,}|[A-Za-z]{2,}\s+[A-Za-z]{3,}")


def leaks(language: str, found: list[list[str]]) -> list[str]:
    """The texts of the other language among what a page shows."""
    wrong = []
    for kind, text in found:
        if language == "en":
            if CJK.search(text):
                wrong.append(text)
        elif kind != "data" and ENGLISH.search(text) and not CJK.search(text):
            wrong.append(text)
    return wrong


def pattern(path: str) -> str:
    """One address per kind of page: public ids, numbers and a category's slug (/c/…)
    stand for any."""
    parts = path.split("/")
    for n, part in enumerate(parts):
        after = parts[n - 1] if n else ""
        # a public id, a number, a category's slug (/c/…), a printed short code (/o/e/…)
        short_code = n > 1 and after in ("e", "b") and parts[n - 2] == "o"
        if PUBLIC_ID.match(part) or part.isdigit() or after == "c" or short_code:
            parts[n] = "{id}"
    return "/".join(parts)


def session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    """The demo week, small, and the demo buyer's order (paid, with an after-sales request)
    and cart, so the account, order and seller pages have something to show."""
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = FAST_HASHERS
    with cheap_pictures():
        call_command("seed", products=PRODUCTS, seed=TEST_SEED, verbosity=0)
    buyer = User.objects.get(email=BUYER_EMAIL)
    seller = User.objects.get(email=SELLER_EMAIL)
    skus = list(
        Sku.objects.filter(product__shop__owner=seller, product__status="live", is_active=True)
        .exclude(attributes={})
        .select_related("product")[:2]
    )
    checkout = buy(buyer, (skus[0], 1))
    pay(checkout)
    order = orders_of(checkout)[0]
    aftersales_create(
        order=order,
        by=buyer,
        line=order.lines.get(),
        kind=AfterSalesKind.REFUND_ONLY,
        reason=AfterSalesReason.NOT_AS_DESCRIBED,
        quantity=1,
        note="椅腿有划痕",
    )
    cart_add(user=buyer, sku_public_id=skus[-1].public_id, quantity=1)
    return {
        "visitor": None,
        "buyer": buyer,
        "seller": seller,
        "staff": User.objects.get(email=STAFF_EMAIL),
    }


@pytest.fixture
def browser(live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def walk(browser, base_url: str, user, role: str, language: str, seen: set[str]) -> dict:
    """Visit the role's pages in ``language``; the leaks found, by address."""
    context = browser.new_context(base_url=base_url, locale="zh-CN")
    cookies = [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}]
    if user is not None:
        cookies.append(
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session_of(user),
                "url": base_url,
            }
        )
    context.add_cookies(cookies)
    # The lot page's live updates (an open stream) are not text to check.
    context.route(re.compile(r"/events$"), lambda route: route.abort())
    page = context.new_page()
    found: dict[str, list[str]] = {}
    queue = list(START[role])
    visited = 0
    while queue and visited < PAGES_PER_ROLE:
        address = queue.pop(0)
        path = urlsplit(address).path
        if pattern(path) in seen or NOT_PAGES.search(path):
            continue
        seen.add(pattern(path))
        response = page.goto(address, wait_until="load")
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited += 1
        page.wait_for_timeout(150)  # scripts that fill in text on load
        shown = page.evaluate(READ_TEXT)
        assert shown["lang"].startswith(language[:2]), (address, shown["lang"])
        wrong = leaks(language, shown["found"])
        if wrong:
            found[f"{role} {address}"] = sorted(set(wrong))[:12]
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            link = urlsplit(href)
            if link.netloc != urlsplit(base_url).netloc:
                continue
            area = AREA[role]
            if area is not None and not link.path.startswith(area):
                continue
            queue.append(link.path + (f"?{link.query}" if link.query else ""))
    context.close()
    return found


def test_every_page_shows_only_its_own_language(demo, browser, live_server):
    found, walked = {}, {}
    for language in ("zh-hans", "en"):
        seen: set[str] = set()
        for role, user in demo.items():
            found |= {
                f"{language} {address}": texts
                for address, texts in walk(
                    browser, live_server.url, user, role, language, seen
                ).items()
            }
        walked[language] = len(seen)
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "language-leaks.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert walked["en"] == walked["zh-hans"] > 30, walked
    assert found == {}
