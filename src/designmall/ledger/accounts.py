"""The chart of accounts. Pure: no Django models, no database.

Every account is named by a code; its type follows from the code, so an account
is created on first use without any setup.

=======================  =========  ==================================================
code                     type       meaning
=======================  =========  ==================================================
``gateway:<name>``       asset      money held for us at a payment provider
                                    (``gateway:alipay``, ``gateway:sandbox``)
``escrow``               liability  buyers' money held until receipt is confirmed
``seller:<shop id>``     liability  what we owe a seller: the seller balance; below
                                    zero it is the seller's debt to us (a refund taken
                                    back after release)
``platform:commission``  revenue    commission earned on released orders
``platform:tickets``     revenue    design-week ticket sales, once the session is over
``platform:forfeits``    revenue    auction deposits forfeited by winners who did not pay
``payouts:pending``      liability  seller payouts requested and not yet sent: taken
                                    from the seller balance on request, sent through
                                    the gateway (credited there) or given back; zero
                                    once every payout is settled
``platform:coupons``     expense    platform coupons: what the platform pays sellers for
                                    the discounts its coupons gave buyers
``bank:payouts``         asset      the bank account payouts to sellers are sent from;
                                    moving gateway settlements into it is booked
                                    outside this ledger, so it shows the payouts sent
                                    as a negative balance
=======================  =========  ==================================================

Amounts are integer fen; a posting's amount is positive for a debit and negative
for a credit, and the postings of one transaction sum to zero. Balances are shown
in the account's natural sign: debits minus credits for assets and expenses,
credits minus debits for liabilities and revenue, so a seller who is owed money
has a positive balance.
"""

from __future__ import annotations

import re
from enum import StrEnum

from designmall.core.ids import looks_like_public_id

ESCROW = "escrow"
PLATFORM_COMMISSION = "platform:commission"
PLATFORM_TICKETS = "platform:tickets"
PLATFORM_FORFEITS = "platform:forfeits"
PLATFORM_COUPONS = "platform:coupons"
BANK_PAYOUTS = "bank:payouts"
PAYOUTS_PENDING = "payouts:pending"

_GATEWAY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    REVENUE = "revenue"
    EXPENSE = "expense"

    @property
    def debit_sign(self) -> int:
        """+1 where a debit raises the natural balance, -1 where it lowers it."""
        return 1 if self in (AccountType.ASSET, AccountType.EXPENSE) else -1


def gateway_account(gateway: str) -> str:
    if not isinstance(gateway, str) or not _GATEWAY_RE.match(gateway):
        raise ValueError(f"not a gateway name: {gateway!r}")
    return f"gateway:{gateway}"


def seller_account(shop_public_id: str) -> str:
    if not isinstance(shop_public_id, str) or not looks_like_public_id(shop_public_id):
        raise ValueError(f"not a shop public id: {shop_public_id!r}")
    return f"seller:{shop_public_id}"


_FIXED = {
    ESCROW: (AccountType.LIABILITY, "托管资金"),
    PLATFORM_COMMISSION: (AccountType.REVENUE, "平台佣金收入"),
    PLATFORM_TICKETS: (AccountType.REVENUE, "平台票务收入"),
    PLATFORM_FORFEITS: (AccountType.REVENUE, "平台没收保证金收入"),
    PLATFORM_COUPONS: (AccountType.EXPENSE, "平台优惠券支出"),
    BANK_PAYOUTS: (AccountType.ASSET, "结算银行账户（打款）"),
    PAYOUTS_PENDING: (AccountType.LIABILITY, "待打款的卖家提现"),
}


def describe(code: str) -> tuple[AccountType, str]:
    """The type and a Chinese display name of the account ``code``.

    Raises ``ValueError`` for a code outside the chart.
    """
    if code in _FIXED:
        return _FIXED[code]
    prefix, _, rest = code.partition(":") if isinstance(code, str) else ("", "", "")
    if prefix == "gateway" and _GATEWAY_RE.match(rest):
        return AccountType.ASSET, f"支付渠道 {rest}"
    if prefix == "seller" and looks_like_public_id(rest):
        return AccountType.LIABILITY, f"卖家余额 {rest}"
    raise ValueError(f"not an account code: {code!r}")
