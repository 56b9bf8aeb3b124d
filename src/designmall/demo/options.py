"""The English of the demo's SKU options (``data.Axis``): names and values.

Kept apart from the word lists so an axis stays one line there; a value written the same
in both languages (``120 cm``, ``A5``) needs no entry.
"""

from __future__ import annotations

import re

NAMES_EN = {
    "颜色": "Colour",
    "光色": "Light colour",
    "尺寸": "Size",
    "材质": "Material",
    "容量": "Capacity",
    "笔尖": "Nib",
    "内页": "Pages",
    "装裱": "Framing",
    "规格": "Pack",
}

VALUES_EN = {
    "原木色": "Natural wood",
    "胡桃色": "Walnut",
    "炭黑": "Charcoal",
    "奶白": "Cream white",
    "亚麻坐垫": "Linen cushion",
    "羊毛坐垫": "Wool cushion",
    "植鞣皮坐垫": "Veg-tanned leather cushion",
    "两层": "Two tiers",
    "三层": "Three tiers",
    "五层": "Five tiers",
    "燕麦色": "Oatmeal",
    "雾蓝": "Mist blue",
    "橄榄绿": "Olive green",
    "砖红": "Brick red",
    "炭灰": "Charcoal grey",
    "单人位": "One-seater",
    "双人位": "Two-seater",
    "三人位": "Three-seater",
    "黄铜色": "Brass",
    "哑光黑": "Matt black",
    "鼠尾草绿": "Sage green",
    "暖白 2700K": "Warm white 2700K",
    "自然白 4000K": "Neutral white 4000K",
    "月白": "Moon white",
    "天青": "Celadon blue",
    "米黄": "Beige",
    "墨黑": "Ink black",
    "豆青": "Pea green",
    "小号": "Small",
    "中号": "Medium",
    "大号": "Large",
    "6 寸": "6 in",
    "8 寸": "8 in",
    "10 寸": "10 in",
    "925银": "925 silver",
    "925银镀18K金": "18K gold on 925 silver",
    "18K金": "18K gold",
    "10 号": "Size 10",
    "12 号": "Size 12",
    "14 号": "Size 14",
    "16 号": "Size 16",
    "空白": "Blank",
    "横线": "Lined",
    "点阵": "Dotted",
    "不装裱": "Unframed",
    "橡木画框": "Oak frame",
    "黑色画框": "Black frame",
    "透明": "Clear",
    "琥珀色": "Amber",
    "烟灰": "Smoke grey",
    "海水蓝": "Sea blue",
    "30 支": "30 pieces",
    "60 支": "60 pieces",
    "120 支": "120 pieces",
    "原色": "Natural",
    "彩虹色": "Rainbow",
    "海军蓝": "Navy",
    "番茄红": "Tomato red",
    "24 块": "24 pieces",
    "48 块": "48 pieces",
    "96 块": "96 pieces",
    "焦糖色": "Caramel",
    "深棕": "Dark brown",
    "黑色": "Black",
}

_CJK = re.compile(r"[\u3400-\u9fff]")


def english(text: str, table: dict[str, str]) -> str:
    """The English of ``text`` from ``table``; itself when it has no Chinese in it."""
    return table.get(text) or ("" if _CJK.search(text) else text)


def attributes_en(attributes: dict[str, str]) -> dict[str, list[str]]:
    """The ``Sku.attributes_en`` of demo ``attributes``: {"颜色": ["Colour", "Walnut"]}."""
    return {
        name: [english(name, NAMES_EN), english(value, VALUES_EN)]
        for name, value in attributes.items()
    }
