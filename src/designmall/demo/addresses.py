"""The demo buyer's address book: a default home address in Shanghai, an office in
Beijing and a parents' address in Hangzhou, so the checkout starts from an address and
the address book has something to edit. Written through the accounts service, so the
divisions are checked as for any buyer."""

from __future__ import annotations

from designmall.accounts.addresses import address_create
from designmall.accounts.models import User
from designmall.demo.accounts import DEMO_EMAIL_DOMAIN

BUYER_EMAIL = f"buyer@{DEMO_EMAIL_DOMAIN}"

DEMO_ADDRESSES = (
    {
        "name": "周小满",
        "mobile": "13800138000",
        "province": "上海市",
        "city": "上海市",
        "district": "徐汇区",
        "detail": "龙腾大道 2555 号 西岸艺术中心旁 3 号楼 1202 室",
        "postcode": "200232",
    },
    {
        "name": "周小满",
        "mobile": "13800138000",
        "province": "北京市",
        "city": "北京市",
        "district": "朝阳区",
        "detail": "酒仙桥路 4 号 798 艺术区 D 座 3 层",
        "postcode": "100015",
    },
    {
        "name": "周建国",
        "mobile": "13905710000",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "detail": "转塘街道象山路 352 号 7 幢 2 单元 301",
        "postcode": "310024",
    },
)


def addresses_write(users: dict[str, User]) -> dict[str, int]:
    """The demo buyer's addresses (the first is the default); counts for the summary."""
    buyer = users.get(BUYER_EMAIL)
    if buyer is None:
        return {"addresses": 0}
    for data in DEMO_ADDRESSES:
        address_create(user=buyer, data=data)
    return {"addresses": len(DEMO_ADDRESSES)}
