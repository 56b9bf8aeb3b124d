"""Payments under test: RSA keys made once per session, the sandbox at the test server,
and a fake payable type standing in for the selling domains."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pytest

import designmall.payments.tasks  # noqa: F401  (registers the job handlers, as the worker does)
from designmall.core.errors import Conflict
from designmall.core.jobs import run_due_jobs
from designmall.payments import payables
from designmall.payments.gateways import rsa2, sandbox
from designmall.payments.gateways.base import TRADE_SUCCESS
from designmall.payments.models import Payment, SandboxTrade
from designmall.payments.services import payment_create
from tests.factories import make_user

NOTIFY_PATH = "/payments/alipay/notify"
PAYABLE = "test.checkout"


@dataclass(frozen=True)
class Keys:
    """Key pairs for the test session: the sandbox's two, and one more to forge with."""

    sandbox_platform: object
    sandbox_app: object
    alipay: object  # plays Alipay's key in the real gateway's tests
    app: object  # plays our app key there
    stranger: object


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(*(rsa2.generate_private_key() for _ in range(5)))


@pytest.fixture(scope="session")
def sandbox_key_dir(tmp_path_factory, keys):
    directory = tmp_path_factory.mktemp("sandbox-keys")
    (directory / sandbox.PLATFORM_KEY_FILE).write_bytes(rsa2.private_key_pem(keys.sandbox_platform))
    (directory / sandbox.APP_KEY_FILE).write_bytes(rsa2.private_key_pem(keys.sandbox_app))
    return directory


@pytest.fixture(autouse=True)
def _payments_settings(settings, sandbox_key_dir):
    settings.PAYMENTS_GATEWAY = "sandbox"
    settings.PAYMENTS_SANDBOX_ENABLED = True
    settings.PAYMENTS_SANDBOX_KEY_DIR = sandbox_key_dir
    settings.PAYMENT_TIMEOUT_MINUTES = 15
    settings.PAYMENT_RECONCILE_AFTER_MINUTES = 5
    settings.SITE_URL = "http://testserver"
    settings.ALIPAY_NOTIFY_URL = "http://testserver" + NOTIFY_PATH
    settings.ALIPAY_RETURN_URL = "http://testserver/payments/return/"


@dataclass
class FakeCheckouts:
    """A selling domain: it says which checkouts may still be paid and records what it hears."""

    unpayable: set[str] = field(default_factory=set)
    refusing: set[str] = field(default_factory=set)
    events: list[tuple] = field(default_factory=list)

    def is_payable(self, payment: Payment) -> bool:
        return payment.payable_id not in self.unpayable

    def on_paid(self, payment: Payment) -> None:
        if payment.payable_id in self.refusing:
            raise Conflict("the checkout cannot take this payment", code="checkout_gone")
        self.events.append(("paid", payment.payable_id))

    def on_refunded(self, refund) -> None:
        self.events.append(("refunded", refund.payment.payable_id, refund.amount_fen))

    def on_expired(self, payment: Payment) -> None:
        self.events.append(("expired", payment.payable_id))

    def of(self, kind: str) -> list[tuple]:
        return [event for event in self.events if event[0] == kind]


@pytest.fixture
def checkouts():
    fake = FakeCheckouts()
    saved = dict(payables.REGISTRY)
    payables.register(
        PAYABLE,
        is_payable=fake.is_payable,
        on_paid=fake.on_paid,
        on_refunded=fake.on_refunded,
        on_expired=fake.on_expired,
        return_url=lambda payment: f"/checkouts/{payment.payable_id}/",
    )
    yield fake
    payables.REGISTRY.clear()
    payables.REGISTRY.update(saved)


@pytest.fixture
def buyer(db):
    return make_user()


@pytest.fixture
def make_payment(db, checkouts, buyer):
    counter = iter(range(1, 10_000))

    def build(*, amount_fen: int = 12_900, gateway: str = "sandbox", **fields) -> Payment:
        return payment_create(
            buyer=fields.pop("buyer", buyer),
            amount_fen=amount_fen,
            subject=fields.pop("subject", "设计周 · 两件作品"),
            payable_type=PAYABLE,
            payable_id=fields.pop("payable_id", f"co_{next(counter)}"),
            gateway=gateway,
            expires_at=fields.pop("expires_at", None),
        )

    return build


def sandbox_keys_for_test(keys: Keys) -> sandbox.SandboxKeys:
    return sandbox.SandboxKeys(platform=keys.sandbox_platform, app=keys.sandbox_app)


def notification_for(payment: Payment, keys: Keys, *, signer=None, **changes: str) -> dict:
    """The sandbox's paid notification for ``payment`` with ``changes``, then signed by
    ``signer`` (default: the sandbox's platform key, i.e. the gateway itself)."""
    trade = SandboxTrade(
        out_trade_no=payment.out_trade_no,
        trade_no="2026112022001400000000000001",
        status=TRADE_SUCCESS,
        total_fen=payment.amount_fen,
        subject=payment.subject,
        buyer_id=sandbox.SANDBOX_BUYER_ID,
        created_at=payment.created_at,
        expires_at=payment.expires_at,
        paid_at=payment.created_at,
    )
    params = sandbox.notification_params(trade, sandbox_keys_for_test(keys))
    params.pop("sign")
    params.update(changes)
    params["sign"] = rsa2.sign(signer or keys.sandbox_platform, rsa2.notification_content(params))
    return params


def post_notify(client, params: dict):
    return client.post(
        NOTIFY_PATH, urlencode(params), content_type="application/x-www-form-urlencoded"
    )


class ClientTransport:
    """Delivers the worker's HTTP POSTs to this site through the Django test client."""

    def __init__(self, client, answers: list[str] | None = None):
        self.client = client
        self.answers = answers  # canned answers instead of the site's, first to last
        self.posts: list[tuple[str, dict]] = []

    def post_form(self, url, data, *, timeout):
        self.posts.append((url, dict(data)))
        if self.answers:
            return self.answers.pop(0)
        response = self.client.post(
            urlsplit(url).path, urlencode(data), content_type="application/x-www-form-urlencoded"
        )
        return response.content.decode()


@pytest.fixture(autouse=True)
def worker_transport(client, monkeypatch):
    """The worker's notification deliveries reach this site through the test client."""
    transport = ClientTransport(client)
    monkeypatch.setattr(sandbox, "NOTIFY_TRANSPORT", transport)
    return transport


def run_jobs() -> int:
    """Run queued jobs until none is due (as the worker's loop would)."""
    total = 0
    while ran := run_due_jobs():
        total += ran
    return total


@pytest.fixture
def alipay_configured(settings, tmp_path, keys):
    """The real Alipay gateway configured beside the sandbox (its network is never used here)."""
    app_key = tmp_path / "app_private_key.pem"
    alipay_key = tmp_path / "alipay_public_key.pem"
    app_key.write_bytes(rsa2.private_key_pem(keys.app))
    alipay_key.write_bytes(rsa2.public_key_pem(keys.alipay.public_key()))
    settings.ALIPAY_APP_ID = "2021004100000001"
    settings.ALIPAY_SELLER_ID = "2088410000000001"
    settings.ALIPAY_APP_PRIVATE_KEY_PATH = str(app_key)
    settings.ALIPAY_PUBLIC_KEY_PATH = str(alipay_key)
    settings.ALIPAY_GATEWAY_URL = "https://openapi.alipay.com/gateway.do"
    return settings
