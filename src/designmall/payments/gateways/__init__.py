"""Payment gateways (see ``base`` for the interface): ``alipay`` and ``sandbox``."""

from __future__ import annotations

from django.conf import settings

from designmall.payments.gateways import alipay, sandbox
from designmall.payments.gateways.base import Gateway

GATEWAY_NAMES = ("alipay", "sandbox")


def get_gateway(name: str | None = None) -> Gateway:
    """The gateway called ``name`` (default: ``PAYMENTS_GATEWAY``), configured from settings.

    Raises ``GatewayUnavailable`` when it is not configured here, and ``ValueError``
    for a name that is no gateway.
    """
    name = name or settings.PAYMENTS_GATEWAY
    if name == "alipay":
        return alipay.from_settings()
    if name == "sandbox":
        return sandbox.from_settings()
    raise ValueError(f"no payment gateway is called {name!r}")
