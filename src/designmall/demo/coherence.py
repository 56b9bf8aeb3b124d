"""Which of a category's description lines fit a product (pure data, no Django).

A category's crafts, uses and care lines (``data.Top``) are written for most of its
products, not all: a tubular-steel chair has no mortise-and-tenon joints, a linen sofa
is not oiled, an aluminium box takes no pen refills, a brass necklace has no certificate
of precious metal. Each line listed here fits only the products its rule allows; a line
not listed fits every product of its category. Keyed by the line's Chinese text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from designmall.demo.data import Pair

WOODS = frozenset({"胡桃木", "实木", "橡木", "白蜡木", "樱桃木", "榆木", "榉木", "枫木", "椴木"})
LEATHERS = frozenset({"植鞣皮", "马臀皮"})
CANVAS = frozenset({"帆布", "蜡染帆布"})
PRECIOUS = frozenset({"925银", "18K金", "铂金"})
SHADES = frozenset({"宣纸", "玻璃", "手吹玻璃", "竹编"})
SPUN_METALS = frozenset({"黄铜", "铝", "钢管"})


@dataclass(frozen=True)
class Product:
    """What a line is judged against: the leaf category, the material and the noun (zh)."""

    leaf: str
    material: str
    noun: str


Rule = Callable[[Product], bool]


def _leaves(*slugs: str) -> Rule:
    return lambda p: p.leaf in slugs


def _materials(names: frozenset[str]) -> Rule:
    return lambda p: p.material in names


def _both(*rules: Rule) -> Rule:
    return lambda p: all(rule(p) for rule in rules)


FITS: dict[str, Rule] = {
    # furniture
    "{m}部分由工匠手工完成，边角圆润，触感温和。": lambda p: p.leaf != "sofas",
    "采用传统榫卯结构，不用一颗钉子。": _both(
        _leaves("chairs", "tables", "storage", "stools"), _materials(WOODS)
    ),
    "表面以植物木蜡油处理，保留木材本色。": _materials(WOODS),
    "每年补一次木蜡油，木面会越用越润。": _materials(WOODS),
    # lighting
    "灯罩以{m}制成，透出的光线柔和不刺眼。": _materials(SHADES),
    "金属件由本地小厂手工旋压成型。": _materials(SPUN_METALS),
    # ceramics
    "可用于洗碗机与微波炉。": _both(
        _leaves("tableware"), lambda p: p.material in {"白瓷", "青瓷", "灰釉"}
    ),
    "日常饮茶、待客与插花皆宜。": _leaves("tea-ware", "vases"),
    # textiles
    "四季可用，越洗越柔软。": lambda p: p.leaf != "rugs",
    "建议冷水手洗，平铺阴干。": lambda p: p.leaf != "rugs",
    # jewellery
    "采用可回收贵金属，附真品证书。": _materials(PRECIOUS),
    "避免接触香水与海水，用擦银布轻拭。": _materials(frozenset({"925银"})),
    # stationery
    "内页选用 100 g 无酸纸，钢笔书写不洇墨。": _leaves("notebooks"),
    "由上海的老印刷厂小批量生产。": _leaves("notebooks"),
    "书写、速写与手账皆宜。": _leaves("pens", "notebooks"),
    "让书桌保持整洁，也是一件好礼物。": _leaves("desk"),
    "可替换墨囊与笔芯，长久使用。": lambda p: p.noun in {"钢笔", "圆珠笔"},
    # prints
    "以手工逐色套印，纸张为 300 g 棉浆纸。": _leaves("screen-prints", "woodcuts"),
    # glass
    "杯壁轻薄，杯口经冷加工打磨。": _leaves("glassware"),
    "使用回收玻璃熔制，带有细小气泡。": _materials(frozenset({"再生玻璃"})),
    "盛水、盛酒或插一枝花。": _leaves("glassware", "glass-vases"),
    # fragrance
    "使用天然大豆蜡与棉芯，燃烧干净。": _leaves("candles"),
    "容器为手工陶杯，用完可作小花器。": _leaves("candles"),
    "每次点燃不超过 3 小时，修剪烛芯至 5 mm。": _leaves("candles"),
    # toys
    "边角全部倒圆，通过 EN71 玩具安全测试。": _leaves("wooden-toys", "blocks"),
    "鼓励自由搭建与想象。": _leaves("blocks"),
    "用湿布擦拭，不可浸水。": _leaves("wooden-toys", "blocks"),
    # bags
    "全部采用马鞍针法手缝，结实耐用。": _materials(LEATHERS),
    "随着使用，皮面会养出独特的色泽。": _materials(LEATHERS),
    "避免雨淋，定期使用皮革护理油。": _materials(LEATHERS),
    "帆布部分可局部清洗。": _materials(CANVAS),
}


def fitting(lines: tuple[Pair, ...], product: Product) -> list[Pair]:
    """The lines of ``lines`` that fit ``product``, in their order."""
    return [line for line in lines if FITS.get(line[0], lambda _p: True)(product)]
