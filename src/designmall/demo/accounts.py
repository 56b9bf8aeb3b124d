"""The demo's accounts: one per role, all with the same documented password.

``designmall demo`` prints this table and the README copies it. The password
passes Django's password validators.
"""

from __future__ import annotations

from dataclasses import dataclass

from designmall.accounts.roles import Role

DEMO_PASSWORD = "designweek2026"
# Every account the seed creates lives under this domain, so a reset finds them all.
DEMO_EMAIL_DOMAIN = "demo.designmall.cn"
SUPERUSER = "superuser"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str  # a Role value, or SUPERUSER
    display_name: str
    note_zh: str
    note_en: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        f"buyer@{DEMO_EMAIL_DOMAIN}",
        Role.BUYER,
        "周小满",
        "买家：逛展、搜索、下单、预约活动",
        "buyer: browse, search, buy, reserve events",
    ),
    DemoAccount(
        f"seller@{DEMO_EMAIL_DOMAIN}",
        Role.SELLER,
        "林晓禾",
        "卖家：山野木作店主，管理商品与库存（含待审核商品）",
        "seller: owns Shanye Woodworks, manages products and stock (some pending review)",
    ),
    DemoAccount(
        f"newseller@{DEMO_EMAIL_DOMAIN}",
        Role.BUYER,
        "何新",
        "新卖家：还没有店铺，可以申请开店",
        "new seller: no shop yet, can apply for one",
    ),
    DemoAccount(
        f"operator@{DEMO_EMAIL_DOMAIN}",
        Role.OPERATOR,
        "运营 陈思远",
        "运营：审核店铺与商品，可登录后台 /admin/",
        "operator: approves shops and products, can use /admin/",
    ),
    DemoAccount(
        f"staff@{DEMO_EMAIL_DOMAIN}",
        Role.VENUE_STAFF,
        "现场 王一鸣",
        "现场工作人员：检票入场、核验场馆自提",
        "venue staff: checks tickets in, verifies venue pickups",
    ),
    DemoAccount(
        f"finance@{DEMO_EMAIL_DOMAIN}",
        Role.FINANCE,
        "财务 赵静",
        "财务：对账、结算与导出，可登录后台",
        "finance: reconciliation, settlement and exports, can use /admin/",
    ),
    DemoAccount(
        f"admin@{DEMO_EMAIL_DOMAIN}",
        SUPERUSER,
        "管理员",
        "超级管理员：后台全部权限",
        "superuser: everything in /admin/",
    ),
)

SELLER_EMAIL = f"seller@{DEMO_EMAIL_DOMAIN}"
OPERATOR_EMAIL = f"operator@{DEMO_EMAIL_DOMAIN}"


def accounts_table(*, english: bool = False) -> str:
    """The accounts as an aligned plain-text table, for the terminal."""
    rows = [(a.email, a.note_en if english else a.note_zh) for a in DEMO_ACCOUNTS]
    width = max(len(email) for email, _note in rows)
    return "\n".join(f"  {email.ljust(width)}  {note}" for email, note in rows)
