"""Bilingual word lists the demo design week is composed from.

Pure data, no Django. Every Chinese word comes with its English counterpart,
so whatever the generator combines reads naturally in both languages. Names of
people and studios are fictional combinations; only schools, cities and fairs
are real places.
"""

from __future__ import annotations

from dataclasses import dataclass

Pair = tuple[str, str]  # (zh, en)


def _pairs(text: str) -> tuple[Pair, ...]:
    """``"王:Wang 李:Li"`` → ``(("王", "Wang"), ("李", "Li"))``; "_" stands for a space."""
    return tuple(
        (zh, en.replace("_", " ")) for zh, en in (item.split(":") for item in text.split())
    )


# --- categories ---------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    """One SKU attribute: its Chinese name, its values, and the price step per value.

    ``step_pct`` is how much dearer each later value is than the first (sizes
    cost more; colours cost the same).
    """

    name: str
    values: tuple[str, ...]
    step_pct: int = 0


@dataclass(frozen=True)
class Leaf:
    slug: str
    name: Pair
    nouns: tuple[Pair, ...]
    materials: tuple[Pair, ...]
    price_yuan: tuple[int, int]
    axes: tuple[Axis, ...]
    # Width, depth and height ranges in cm, for the description.
    size_cm: tuple[tuple[int, int], tuple[int, int], tuple[int, int]]
    weight: int = 10
    # "work": prints are titled by their work's name instead of their material.
    kind: str = "object"


@dataclass(frozen=True)
class Top:
    slug: str
    name: Pair
    # Background and shape colours of its product images (hex).
    palette: tuple[str, ...]
    crafts: tuple[Pair, ...]  # "{m}" is the material
    uses: tuple[Pair, ...]
    cares: tuple[Pair, ...]
    studio_suffix: Pair
    focus: Pair  # what a designer of this field "works on", for bios
    children: tuple[Leaf, ...]


WOODS: tuple[Pair, ...] = (
    ("胡桃木", "Walnut"),
    ("实木", "Solid Wood"),
    ("橡木", "Oak"),
    ("白蜡木", "Ash"),
    ("樱桃木", "Cherry"),
    ("榆木", "Elm"),
    ("榉木", "Beech"),
)
COLOURS_WOOD = Axis("颜色", ("原木色", "胡桃色", "炭黑", "奶白"))
COLOURS_SOFT = Axis("颜色", ("燕麦色", "雾蓝", "橄榄绿", "砖红", "炭灰"))
COLOURS_LAMP = Axis("颜色", ("黄铜色", "哑光黑", "奶白", "鼠尾草绿"))
COLOURS_GLAZE = Axis("颜色", ("月白", "天青", "米黄", "墨黑", "豆青"))
COLOURS_BRIGHT = Axis("颜色", ("原色", "彩虹色", "海军蓝", "番茄红"))
COLOURS_LEATHER = Axis("颜色", ("原色", "焦糖色", "深棕", "黑色", "橄榄绿"))
LIGHT = Axis("光色", ("暖白 2700K", "自然白 4000K"))
SIZES_SML = Axis("尺寸", ("小号", "中号", "大号"), 35)
METALS = Axis("材质", ("925银", "925银镀18K金", "18K金"), 120)

CATEGORIES: tuple[Top, ...] = (
    Top(
        slug="furniture",
        name=("家具", "Furniture"),
        palette=("#e9dfd1", "#c8b49a", "#8a6a4f", "#4f3b2c", "#d9c7b0", "#a48466"),
        crafts=(
            (
                "{m}部分由工匠手工完成，边角圆润，触感温和。",
                "The {m} is finished by hand to soft edges.",
            ),
            ("采用传统榫卯结构，不用一颗钉子。", "Traditional mortise-and-tenon joints, no nails."),
            ("表面以植物木蜡油处理，保留木材本色。", "Finished with plant-based hardwax oil."),
            (
                "可拆装设计，平板包装，运输更环保。",
                "Knock-down design, flat-packed to ship lighter.",
            ),
        ),
        uses=(
            ("适合客厅、书房与阅读角。", "Suits living rooms, studies and reading corners."),
            ("小户型友好，占地不多却很耐看。", "Small-space friendly and quietly good-looking."),
            ("可单独摆放，也可与同系列组合使用。", "Stands alone or pairs with its series."),
        ),
        cares=(
            (
                "日常用干布擦拭，避免阳光直射与暖气烘烤。",
                "Wipe with a dry cloth; keep out of direct sun.",
            ),
            ("每年补一次木蜡油，木面会越用越润。", "Re-oil once a year and the wood will deepen."),
        ),
        studio_suffix=("木作", "Woodworks"),
        focus=("专注于实木家具与榫卯结构", "works on solid-wood furniture and joinery"),
        children=(
            Leaf(
                "chairs",
                ("椅子", "Chairs"),
                (
                    ("休闲椅子", "Lounge Chair"),
                    ("椅子", "Chair"),
                    ("餐椅", "Dining Chair"),
                    ("扶手椅", "Armchair"),
                    ("摇椅", "Rocking Chair"),
                    ("书椅", "Desk Chair"),
                ),
                (*WOODS, ("竹", "Bamboo"), ("藤编", "Rattan"), ("钢管", "Tubular Steel")),
                (1200, 16000),
                (COLOURS_WOOD, Axis("材质", ("亚麻坐垫", "羊毛坐垫", "植鞣皮坐垫"), 15)),
                ((45, 80), (48, 85), (70, 105)),
                weight=16,
            ),
            Leaf(
                "tables",
                ("桌子", "Tables"),
                (
                    ("餐桌", "Dining Table"),
                    ("边几", "Side Table"),
                    ("茶几", "Coffee Table"),
                    ("书桌", "Desk"),
                    ("圆桌", "Round Table"),
                    ("桌子", "Table"),
                ),
                (*WOODS, ("水磨石", "Terrazzo"), ("大理石", "Marble")),
                (1500, 28000),
                (Axis("尺寸", ("120 cm", "160 cm", "200 cm"), 25), COLOURS_WOOD),
                ((45, 220), (40, 100), (40, 76)),
                weight=12,
            ),
            Leaf(
                "storage",
                ("柜架", "Storage"),
                (
                    ("书架", "Bookshelf"),
                    ("边柜", "Sideboard"),
                    ("置物架", "Shelf"),
                    ("衣帽架", "Coat Stand"),
                    ("斗柜", "Chest of Drawers"),
                ),
                (*WOODS, ("钢板", "Steel Sheet"), ("竹", "Bamboo")),
                (900, 22000),
                (COLOURS_WOOD, Axis("尺寸", ("两层", "三层", "五层"), 30)),
                ((40, 180), (30, 50), (60, 200)),
                weight=9,
            ),
            Leaf(
                "sofas",
                ("沙发", "Sofas"),
                (
                    ("双人沙发", "Two-Seater Sofa"),
                    ("三人沙发", "Three-Seater Sofa"),
                    ("单人沙发", "Lounge Sofa"),
                    ("模块沙发", "Modular Sofa"),
                    ("日床", "Daybed"),
                ),
                (
                    ("亚麻", "Linen"),
                    ("羊毛", "Wool"),
                    ("灯芯绒", "Corduroy"),
                    ("植鞣皮", "Leather"),
                    ("布艺", "Fabric"),
                ),
                (4800, 48000),
                (COLOURS_SOFT, Axis("尺寸", ("单人位", "双人位", "三人位"), 40)),
                ((90, 260), (80, 100), (65, 85)),
                weight=7,
            ),
            Leaf(
                "stools",
                ("凳子", "Stools"),
                (
                    ("凳子", "Stool"),
                    ("吧台凳", "Bar Stool"),
                    ("矮凳", "Low Stool"),
                    ("长凳", "Bench"),
                ),
                (*WOODS, ("藤编", "Rattan"), ("软木", "Cork")),
                (380, 4800),
                (COLOURS_WOOD,),
                ((30, 140), (30, 40), (40, 75)),
                weight=8,
            ),
        ),
    ),
    Top(
        slug="lighting",
        name=("灯具", "Lighting"),
        palette=("#f4ecd8", "#f2c14e", "#e07a2f", "#3d3a4b", "#fbe7b5", "#7a6f9b"),
        crafts=(
            (
                "灯罩以{m}制成，透出的光线柔和不刺眼。",
                "The {m} shade turns the light soft and glare-free.",
            ),
            (
                "配可调光开关，从阅读到夜灯一灯多用。",
                "A dimmer takes it from reading light to night light.",
            ),
            (
                "金属件由本地小厂手工旋压成型。",
                "Metal parts are hand-spun by a small local workshop.",
            ),
        ),
        uses=(
            ("放在床头、书桌或沙发边都合适。", "At home on a bedside, a desk or beside a sofa."),
            (
                "为餐桌与玄关带来一圈温暖的光。",
                "Brings a warm pool of light to a table or hallway.",
            ),
        ),
        cares=(
            ("使用 E27 LED 光源，请勿超过 10 W。", "Takes an E27 LED bulb up to 10 W."),
            ("清洁前请断电，用软毛刷除尘。", "Unplug before cleaning; dust with a soft brush."),
        ),
        studio_suffix=("灯光", "Lighting"),
        focus=("研究光线与材料之间的关系", "explores how light meets material"),
        children=(
            Leaf(
                "table-lamps",
                ("台灯", "Table Lamps"),
                (
                    ("台灯", "Table Lamp"),
                    ("阅读灯", "Reading Lamp"),
                    ("蘑菇台灯", "Mushroom Lamp"),
                    ("便携灯", "Portable Lamp"),
                ),
                (
                    ("黄铜", "Brass"),
                    ("玻璃", "Glass"),
                    ("陶瓷", "Ceramic"),
                    ("宣纸", "Rice Paper"),
                    ("胡桃木", "Walnut"),
                    ("大理石", "Marble"),
                ),
                (480, 6800),
                (COLOURS_LAMP, LIGHT),
                ((15, 35), (15, 35), (25, 60)),
                weight=12,
            ),
            Leaf(
                "floor-lamps",
                ("落地灯", "Floor Lamps"),
                (
                    ("落地灯", "Floor Lamp"),
                    ("弧形落地灯", "Arc Floor Lamp"),
                    ("阅读落地灯", "Reading Floor Lamp"),
                ),
                (("黄铜", "Brass"), ("宣纸", "Rice Paper"), ("钢管", "Tubular Steel"), *WOODS[:3]),
                (1200, 12000),
                (COLOURS_LAMP,),
                ((30, 60), (30, 60), (120, 190)),
                weight=7,
            ),
            Leaf(
                "pendant-lamps",
                ("吊灯", "Pendant Lamps"),
                (
                    ("吊灯", "Pendant Lamp"),
                    ("灯笼吊灯", "Lantern Pendant"),
                    ("组合吊灯", "Cluster Pendant"),
                ),
                (
                    ("竹编", "Woven Bamboo"),
                    ("宣纸", "Rice Paper"),
                    ("手吹玻璃", "Hand-Blown Glass"),
                    ("铝", "Aluminium"),
                    ("黄铜", "Brass"),
                ),
                (680, 15000),
                (Axis("尺寸", ("Ø30 cm", "Ø45 cm", "Ø60 cm"), 35), COLOURS_LAMP),
                ((30, 60), (30, 60), (25, 60)),
                weight=9,
            ),
            Leaf(
                "wall-lamps",
                ("壁灯", "Wall Lamps"),
                (("壁灯", "Wall Lamp"), ("床头壁灯", "Bedside Wall Lamp")),
                (("黄铜", "Brass"), ("陶瓷", "Ceramic"), ("铝", "Aluminium")),
                (420, 4800),
                (COLOURS_LAMP, LIGHT),
                ((12, 30), (10, 25), (15, 40)),
                weight=5,
            ),
        ),
    ),
    Top(
        slug="ceramics",
        name=("陶瓷", "Ceramics"),
        palette=("#eef0ea", "#a7c4bc", "#5f8b83", "#d6c9a8", "#2f3e46", "#c97b63"),
        crafts=(
            (
                "{m}器身经 1280°C 高温烧成，每一件都略有不同。",
                "Fired at 1280°C: no two {m} pieces alike.",
            ),
            (
                "拉坯、修坯、施釉皆由工作室手工完成。",
                "Thrown, trimmed and glazed by hand in the studio.",
            ),
            ("胎体轻薄，握在手里温润稳妥。", "A thin, light body that sits well in the hand."),
        ),
        uses=(
            ("日常饮茶、待客与插花皆宜。", "For everyday tea, guests and flowers."),
            ("可用于洗碗机与微波炉。", "Dishwasher and microwave safe."),
        ),
        cares=(
            (
                "手工制作，釉面的细小气孔与色差属正常现象。",
                "Small pinholes and shade changes are part of the craft.",
            ),
            ("避免骤冷骤热，以免开裂。", "Avoid sudden temperature changes."),
        ),
        studio_suffix=("陶艺", "Ceramics"),
        focus=("以陶瓷与釉色实验见长", "is known for ceramics and glaze experiments"),
        children=(
            Leaf(
                "tea-ware",
                ("茶具", "Tea Ware"),
                (
                    ("盖碗", "Gaiwan"),
                    ("茶壶", "Teapot"),
                    ("公道杯", "Fair Cup"),
                    ("品茗杯", "Tea Cup"),
                    ("茶具套装", "Tea Set"),
                    ("侧把壶", "Side-Handle Teapot"),
                ),
                (
                    ("青瓷", "Celadon"),
                    ("汝窑", "Ru-Ware"),
                    ("柴烧", "Wood-Fired"),
                    ("紫砂", "Zisha Clay"),
                    ("白瓷", "White Porcelain"),
                    ("天目釉", "Tenmoku"),
                    ("粉引", "Kohiki"),
                ),
                (88, 3800),
                (COLOURS_GLAZE, Axis("容量", ("80 ml", "120 ml", "180 ml", "250 ml"), 20)),
                ((6, 20), (6, 20), (5, 16)),
                weight=14,
            ),
            Leaf(
                "vases",
                ("花器", "Vases"),
                (
                    ("花器", "Vase"),
                    ("花瓶", "Flower Vase"),
                    ("单枝花器", "Bud Vase"),
                    ("花盆", "Planter"),
                ),
                (
                    ("青瓷", "Celadon"),
                    ("柴烧", "Wood-Fired"),
                    ("粗陶", "Stoneware"),
                    ("白瓷", "White Porcelain"),
                    ("灰釉", "Ash-Glazed"),
                ),
                (128, 4800),
                (SIZES_SML, COLOURS_GLAZE),
                ((8, 30), (8, 30), (10, 45)),
                weight=11,
            ),
            Leaf(
                "tableware",
                ("餐具", "Tableware"),
                (
                    ("餐盘", "Dinner Plate"),
                    ("饭碗", "Rice Bowl"),
                    ("汤碗", "Soup Bowl"),
                    ("餐具套装", "Tableware Set"),
                    ("马克杯", "Mug"),
                    ("浅盘", "Shallow Dish"),
                ),
                (
                    ("粗陶", "Stoneware"),
                    ("白瓷", "White Porcelain"),
                    ("青瓷", "Celadon"),
                    ("灰釉", "Ash-Glazed"),
                    ("粉引", "Kohiki"),
                ),
                (48, 2200),
                (COLOURS_GLAZE, Axis("尺寸", ("6 寸", "8 寸", "10 寸"), 25)),
                ((10, 30), (10, 30), (3, 12)),
                weight=12,
            ),
        ),
    ),
    Top(
        slug="textiles",
        name=("织物", "Textiles"),
        palette=("#f1e9e2", "#d9a5a0", "#7d8f69", "#38598b", "#e3c08d", "#a35a47"),
        crafts=(
            ("{m}纱线在手工织机上慢慢织成。", "The {m} yarn is woven slowly on a hand loom."),
            ("以植物染料染色，颜色沉静自然。", "Dyed with plant dyes in calm, natural tones."),
            ("由云南的合作社手工缝制。", "Sewn by hand by a cooperative in Yunnan."),
        ),
        uses=(
            ("为房间添一层柔软与温度。", "Adds softness and warmth to a room."),
            ("四季可用，越洗越柔软。", "Good all year, softer with every wash."),
        ),
        cares=(
            ("建议冷水手洗，平铺阴干。", "Hand wash cold and dry flat in the shade."),
            ("可干洗，不可漂白。", "Dry clean; do not bleach."),
        ),
        studio_suffix=("织造", "Textiles"),
        focus=("关注手工织造与植物染", "works with hand weaving and plant dyes"),
        children=(
            Leaf(
                "rugs",
                ("地毯", "Rugs"),
                (("地毯", "Rug"), ("手织地毯", "Hand-Woven Rug"), ("圆形地毯", "Round Rug")),
                (("羊毛", "Wool"), ("亚麻", "Linen"), ("黄麻", "Jute"), ("棉", "Cotton")),
                (680, 18000),
                (Axis("尺寸", ("120×170 cm", "160×230 cm", "200×300 cm"), 45),),
                ((120, 300), (80, 200), (1, 2)),
                weight=8,
            ),
            Leaf(
                "cushions",
                ("抱枕", "Cushions"),
                (("抱枕", "Cushion"), ("靠垫", "Back Cushion"), ("坐垫", "Seat Pad")),
                (
                    ("亚麻", "Linen"),
                    ("棉", "Cotton"),
                    ("羊毛", "Wool"),
                    ("扎染棉", "Tie-Dyed Cotton"),
                    ("蓝染", "Indigo-Dyed"),
                ),
                (98, 880),
                (COLOURS_SOFT, Axis("尺寸", ("45×45 cm", "50×50 cm", "60×60 cm"), 20)),
                ((30, 60), (30, 60), (10, 15)),
                weight=9,
            ),
            Leaf(
                "throws",
                ("毯子", "Throws"),
                (("盖毯", "Throw"), ("毛毯", "Blanket"), ("野餐毯", "Picnic Blanket")),
                (("羊毛", "Wool"), ("羊绒", "Cashmere"), ("棉", "Cotton"), ("亚麻", "Linen")),
                (260, 3800),
                (COLOURS_SOFT,),
                ((130, 200), (150, 250), (1, 2)),
                weight=7,
            ),
            Leaf(
                "table-linen",
                ("桌布", "Table Linen"),
                (("桌布", "Tablecloth"), ("餐垫", "Placemat Set"), ("茶巾", "Tea Towel")),
                (("亚麻", "Linen"), ("棉", "Cotton"), ("蓝染", "Indigo-Dyed")),
                (58, 980),
                (COLOURS_SOFT, Axis("尺寸", ("140×140 cm", "140×200 cm", "140×260 cm"), 30)),
                ((40, 260), (40, 140), (1, 1)),
                weight=6,
            ),
        ),
    ),
    Top(
        slug="jewellery",
        name=("首饰", "Jewellery"),
        palette=("#f3efe9", "#d4af7a", "#b3b6b7", "#5b4e77", "#e8d5c4", "#2b2d42"),
        crafts=(
            (
                "以{m}为主材，表面留有细密的手作肌理。",
                "Made in {m} with a fine, hand-worked texture.",
            ),
            (
                "每件由金工师在工作台上独立完成。",
                "Each piece is made start to finish at one bench.",
            ),
            ("采用可回收贵金属，附真品证书。", "Recycled precious metal; certificate included."),
        ),
        uses=(
            ("日常佩戴与出席场合皆宜。", "Right for every day and for occasions."),
            ("附工作室礼盒，适合送礼。", "Comes in the studio's gift box."),
        ),
        cares=(
            (
                "避免接触香水与海水，用擦银布轻拭。",
                "Keep from perfume and sea water; polish gently.",
            ),
            ("单独存放，防止划伤。", "Store separately to avoid scratches."),
        ),
        studio_suffix=("首饰", "Jewellery"),
        focus=("用金工语言讲述城市与自然", "tells stories of city and nature in metal"),
        children=(
            Leaf(
                "necklaces",
                ("项链", "Necklaces"),
                (("项链", "Necklace"), ("吊坠", "Pendant"), ("锁骨链", "Choker")),
                (
                    ("925银", "Sterling Silver"),
                    ("18K金", "18K Gold"),
                    ("黄铜", "Brass"),
                    ("珍珠", "Pearl"),
                ),
                (180, 12800),
                (METALS, Axis("尺寸", ("40 cm", "45 cm", "50 cm"), 5)),
                ((1, 4), (1, 2), (1, 3)),
                weight=7,
            ),
            Leaf(
                "earrings",
                ("耳饰", "Earrings"),
                (("耳环", "Earrings"), ("耳钉", "Stud Earrings"), ("耳夹", "Ear Cuffs")),
                (
                    ("925银", "Sterling Silver"),
                    ("18K金", "18K Gold"),
                    ("钛", "Titanium"),
                    ("珍珠", "Pearl"),
                ),
                (120, 6800),
                (METALS,),
                ((1, 3), (1, 2), (1, 5)),
                weight=7,
            ),
            Leaf(
                "rings",
                ("戒指", "Rings"),
                (("戒指", "Ring"), ("开口戒指", "Open Ring"), ("对戒", "Couple Rings")),
                (("925银", "Sterling Silver"), ("18K金", "18K Gold"), ("铂金", "Platinum")),
                (160, 18000),
                (Axis("尺寸", ("10 号", "12 号", "14 号", "16 号")), METALS),
                ((2, 3), (2, 3), (1, 2)),
                weight=7,
            ),
            Leaf(
                "bracelets",
                ("手镯", "Bracelets"),
                (("手镯", "Bangle"), ("手链", "Bracelet")),
                (("925银", "Sterling Silver"), ("黄铜", "Brass"), ("18K金", "18K Gold")),
                (180, 9800),
                (METALS, Axis("尺寸", ("S", "M", "L"))),
                ((6, 8), (6, 8), (1, 2)),
                weight=5,
            ),
        ),
    ),
    Top(
        slug="stationery",
        name=("文具", "Stationery"),
        palette=("#f5f1e8", "#3a6ea5", "#ff6b35", "#004e89", "#ffd166", "#1b1b1e"),
        crafts=(
            ("以{m}制成，细节经反复打样推敲。", "Made in {m}, refined over many prototypes."),
            (
                "内页选用 100 g 无酸纸，钢笔书写不洇墨。",
                "100 g acid-free paper that takes fountain-pen ink.",
            ),
            ("由上海的老印刷厂小批量生产。", "Made in small runs by an old Shanghai printer."),
        ),
        uses=(
            ("书写、速写与手账皆宜。", "For writing, sketching and journaling."),
            ("让书桌保持整洁，也是一件好礼物。", "Keeps a desk tidy and makes a good gift."),
        ),
        cares=(
            ("可替换墨囊与笔芯，长久使用。", "Refillable, made to last."),
            ("避免受潮与长时间日晒。", "Keep dry and out of long sun."),
        ),
        studio_suffix=("文具", "Stationery"),
        focus=("为书写与办公设计日常器物", "designs everyday tools for writing and work"),
        children=(
            Leaf(
                "pens",
                ("笔", "Pens"),
                (
                    ("钢笔", "Fountain Pen"),
                    ("圆珠笔", "Ballpoint Pen"),
                    ("铅笔套装", "Pencil Set"),
                    ("毛笔", "Brush Pen"),
                ),
                (("黄铜", "Brass"), ("胡桃木", "Walnut"), ("铝", "Aluminium"), ("竹", "Bamboo")),
                (38, 2800),
                (COLOURS_LAMP, Axis("笔尖", ("EF", "F", "M"))),
                ((1, 2), (1, 2), (13, 15)),
                weight=7,
            ),
            Leaf(
                "notebooks",
                ("笔记本", "Notebooks"),
                (
                    ("笔记本", "Notebook"),
                    ("手账本", "Journal"),
                    ("速写本", "Sketchbook"),
                    ("线装本", "Thread-Bound Notebook"),
                ),
                (
                    ("棉纸", "Cotton Paper"),
                    ("牛皮纸", "Kraft Paper"),
                    ("布面", "Cloth-Bound"),
                    ("皮面", "Leather-Bound"),
                ),
                (28, 680),
                (Axis("尺寸", ("A6", "B6", "A5"), 25), Axis("内页", ("空白", "横线", "点阵"))),
                ((10, 21), (14, 30), (1, 3)),
                weight=8,
            ),
            Leaf(
                "desk",
                ("桌面收纳", "Desk Accessories"),
                (
                    ("笔筒", "Pen Holder"),
                    ("收纳盒", "Desk Organiser"),
                    ("镇纸", "Paperweight"),
                    ("书立", "Bookends"),
                    ("台历", "Desk Calendar"),
                ),
                (
                    ("黄铜", "Brass"),
                    ("胡桃木", "Walnut"),
                    ("水磨石", "Terrazzo"),
                    ("铝", "Aluminium"),
                ),
                (48, 1200),
                (COLOURS_WOOD,),
                ((8, 30), (5, 20), (3, 15)),
                weight=6,
            ),
        ),
    ),
    Top(
        slug="prints",
        name=("版画", "Prints"),
        palette=("#f7f3ea", "#e63946", "#1d3557", "#457b9d", "#f4a261", "#2a9d8f"),
        crafts=(
            (
                "限量 50 版，每一张都有艺术家亲笔签名与编号。",
                "Edition of 50, each signed and numbered.",
            ),
            (
                "以手工逐色套印，纸张为 300 g 棉浆纸。",
                "Printed colour by colour on 300 g cotton paper.",
            ),
            ("使用大豆油墨印刷，色彩饱满。", "Printed with soy inks in rich colours."),
        ),
        uses=(
            ("为客厅、书房或玄关添一件作品。", "A work for a living room, a study or a hallway."),
            ("可选橡木画框，收到即可上墙。", "Choose an oak frame and hang it on arrival."),
        ),
        cares=(
            ("避免阳光直射，以防褪色。", "Keep out of direct sun to prevent fading."),
            ("画框玻璃请用干布擦拭。", "Wipe the frame's glass with a dry cloth."),
        ),
        studio_suffix=("版画工作室", "Print Studio"),
        focus=("以版画记录城市与节气", "records cities and seasons in print"),
        children=(
            Leaf(
                "screen-prints",
                ("丝网版画", "Screen Prints"),
                (("丝网版画", "Screen Print"),),
                (),
                (380, 8800),
                (
                    Axis("尺寸", ("A3", "A2", "50×70 cm"), 40),
                    Axis("装裱", ("不装裱", "橡木画框", "黑色画框"), 45),
                ),
                ((30, 70), (42, 100), (1, 3)),
                weight=6,
                kind="work",
            ),
            Leaf(
                "woodcuts",
                ("木刻版画", "Woodcuts"),
                (("木刻版画", "Woodcut Print"),),
                (),
                (480, 12000),
                (Axis("装裱", ("不装裱", "橡木画框", "黑色画框"), 40),),
                ((30, 70), (42, 100), (1, 3)),
                weight=5,
                kind="work",
            ),
            Leaf(
                "posters",
                ("海报", "Posters"),
                (("设计周海报", "Design Week Poster"), ("孔版印刷海报", "Risograph Poster")),
                (),
                (68, 480),
                (Axis("尺寸", ("A3", "A2", "50×70 cm"), 40),),
                ((30, 50), (42, 70), (1, 1)),
                weight=6,
                kind="work",
            ),
        ),
    ),
    Top(
        slug="glass",
        name=("玻璃", "Glass"),
        palette=("#eaf4f4", "#9ad1d4", "#3c91e6", "#a2d729", "#fa824c", "#342e37"),
        crafts=(
            ("每一件{m}都在火炉前手工成型。", "Each {m} piece is shaped by hand at the furnace."),
            ("杯壁轻薄，杯口经冷加工打磨。", "Thin walls with a cold-worked, polished rim."),
            ("使用回收玻璃熔制，带有细小气泡。", "Melted from recycled glass, with tiny bubbles."),
        ),
        uses=(
            ("盛水、盛酒或插一枝花。", "For water, wine or a single stem."),
            ("放在窗边，看光线在玻璃里流动。", "Set it by a window and watch the light move."),
        ),
        cares=(
            ("建议手洗，避免硬物刮擦。", "Hand wash; avoid scouring."),
            ("不可直火加热。", "Not for direct flame."),
        ),
        studio_suffix=("玻璃工作室", "Glass Studio"),
        focus=(
            "在热玻璃与冷加工之间寻找新的形态",
            "looks for new forms between hot and cold glass",
        ),
        children=(
            Leaf(
                "glassware",
                ("玻璃杯", "Glassware"),
                (
                    ("玻璃杯", "Tumbler"),
                    ("酒杯", "Wine Glass"),
                    ("冷水壶", "Carafe"),
                    ("清酒杯", "Sake Cup"),
                ),
                (
                    ("手吹玻璃", "Hand-Blown Glass"),
                    ("琉璃", "Liuli Glass"),
                    ("硼硅玻璃", "Borosilicate"),
                    ("锤纹玻璃", "Hammered Glass"),
                    ("再生玻璃", "Recycled Glass"),
                ),
                (68, 1800),
                (
                    Axis("颜色", ("透明", "琥珀色", "烟灰", "海水蓝")),
                    Axis("容量", ("200 ml", "300 ml", "1 L"), 30),
                ),
                ((6, 12), (6, 12), (8, 28)),
                weight=8,
            ),
            Leaf(
                "glass-vases",
                ("玻璃花器", "Glass Vases"),
                (
                    ("玻璃花瓶", "Glass Vase"),
                    ("玻璃花器", "Glass Vessel"),
                    ("玻璃烛台", "Glass Candleholder"),
                ),
                (
                    ("手吹玻璃", "Hand-Blown Glass"),
                    ("琉璃", "Liuli Glass"),
                    ("再生玻璃", "Recycled Glass"),
                ),
                (168, 5800),
                (SIZES_SML, Axis("颜色", ("透明", "琥珀色", "烟灰", "海水蓝"))),
                ((8, 25), (8, 25), (12, 40)),
                weight=6,
            ),
            Leaf(
                "glass-objects",
                ("玻璃摆件", "Glass Objects"),
                (
                    ("玻璃镇纸", "Glass Paperweight"),
                    ("玻璃摆件", "Glass Sculpture"),
                    ("玻璃托盘", "Glass Tray"),
                ),
                (
                    ("手吹玻璃", "Hand-Blown Glass"),
                    ("琉璃", "Liuli Glass"),
                    ("铸造玻璃", "Cast Glass"),
                ),
                (128, 9800),
                (Axis("颜色", ("透明", "琥珀色", "烟灰", "海水蓝")),),
                ((6, 40), (6, 30), (3, 30)),
                weight=4,
            ),
        ),
    ),
    Top(
        slug="fragrance",
        name=("香氛", "Home Fragrance"),
        palette=("#f6efe6", "#c9ada7", "#9a8c98", "#4a4e69", "#e9c46a", "#6b705c"),
        crafts=(
            (
                "以{m}为主调，由调香师在工作室小批量调配。",
                "Built around {m}, blended in small batches.",
            ),
            (
                "使用天然大豆蜡与棉芯，燃烧干净。",
                "Natural soy wax and cotton wick for a clean burn.",
            ),
            ("容器为手工陶杯，用完可作小花器。", "The hand-thrown cup becomes a small vase after."),
        ),
        uses=(
            ("适合卧室、书房与浴室。", "For bedrooms, studies and bathrooms."),
            ("一室清香，让日常慢下来。", "A quiet scent to slow the day down."),
        ),
        cares=(
            (
                "每次点燃不超过 3 小时，修剪烛芯至 5 mm。",
                "Burn up to 3 hours; trim the wick to 5 mm.",
            ),
            ("远离儿童与易燃物。", "Keep away from children and flammables."),
        ),
        studio_suffix=("香氛", "Fragrance"),
        focus=("用气味记录地方与季节", "records places and seasons in scent"),
        children=(
            Leaf(
                "candles",
                ("香薰蜡烛", "Candles"),
                (
                    ("香薰蜡烛", "Scented Candle"),
                    ("旅行蜡烛", "Travel Candle"),
                    ("蜡烛礼盒", "Candle Gift Set"),
                ),
                (
                    ("雪松", "Cedar"),
                    ("白茶", "White Tea"),
                    ("檀香", "Sandalwood"),
                    ("无花果", "Fig"),
                    ("桂花", "Osmanthus"),
                    ("苔藓", "Moss"),
                    ("柚子", "Yuzu"),
                    ("岩兰草", "Vetiver"),
                ),
                (98, 880),
                (Axis("尺寸", ("80 g", "200 g", "400 g"), 60),),
                ((6, 12), (6, 12), (6, 12)),
                weight=8,
            ),
            Leaf(
                "diffusers",
                ("扩香", "Diffusers"),
                (
                    ("藤条扩香", "Reed Diffuser"),
                    ("香氛喷雾", "Room Spray"),
                    ("扩香石", "Diffuser Stone"),
                ),
                (
                    ("雪松", "Cedar"),
                    ("白茶", "White Tea"),
                    ("桂花", "Osmanthus"),
                    ("柚子", "Yuzu"),
                    ("焚香", "Incense"),
                ),
                (128, 980),
                (Axis("容量", ("100 ml", "200 ml", "500 ml"), 50),),
                ((6, 10), (6, 10), (12, 30)),
                weight=6,
            ),
            Leaf(
                "incense",
                ("线香", "Incense"),
                (("线香", "Incense Sticks"), ("盘香", "Coil Incense"), ("香插", "Incense Holder")),
                (
                    ("檀香", "Sandalwood"),
                    ("沉香", "Agarwood"),
                    ("松针", "Pine Needle"),
                    ("艾草", "Mugwort"),
                ),
                (48, 680),
                (Axis("规格", ("30 支", "60 支", "120 支"), 60),),
                ((3, 22), (3, 10), (2, 5)),
                weight=5,
            ),
        ),
    ),
    Top(
        slug="toys",
        name=("玩具", "Toys"),
        palette=("#fdf6e3", "#ef476f", "#ffd166", "#06d6a0", "#118ab2", "#073b4c"),
        crafts=(
            ("选用{m}，触感温和，安全无毒。", "Made in {m}: gentle to the touch and non-toxic."),
            (
                "边角全部倒圆，通过 EN71 玩具安全测试。",
                "Rounded edges, tested to the EN71 toy standard.",
            ),
            ("可以一代一代传下去的玩具。", "A toy made to be handed down."),
        ),
        uses=(
            (
                "适合 1 岁以上的孩子，也适合大人的书架。",
                "For children over one, and for grown-up shelves.",
            ),
            ("鼓励自由搭建与想象。", "Invites open-ended building and play."),
        ),
        cares=(
            ("用湿布擦拭，不可浸水。", "Wipe with a damp cloth; do not soak."),
            (
                "含小零件，3 岁以下儿童需在看护下使用。",
                "Small parts: supervise children under three.",
            ),
        ),
        studio_suffix=("玩具", "Toys"),
        focus=("为孩子和大人设计能玩很久的玩具", "designs toys children and adults keep for years"),
        children=(
            Leaf(
                "wooden-toys",
                ("木制玩具", "Wooden Toys"),
                (
                    ("推车", "Push Cart"),
                    ("木制小鸟", "Wooden Bird"),
                    ("木马", "Rocking Horse"),
                    ("拖拉玩具", "Pull Toy"),
                ),
                (("榉木", "Beech"), ("枫木", "Maple"), ("椴木", "Basswood"), ("竹", "Bamboo")),
                (88, 2600),
                (COLOURS_BRIGHT,),
                ((10, 80), (8, 40), (8, 60)),
                weight=6,
            ),
            Leaf(
                "blocks",
                ("积木", "Building Blocks"),
                (("积木", "Building Blocks"), ("叠叠乐", "Stacking Game"), ("拼图", "Puzzle")),
                (("榉木", "Beech"), ("枫木", "Maple"), ("软木", "Cork")),
                (68, 1280),
                (Axis("规格", ("24 块", "48 块", "96 块"), 50), COLOURS_BRIGHT),
                ((20, 40), (20, 40), (5, 10)),
                weight=6,
            ),
            Leaf(
                "dolls",
                ("玩偶", "Dolls"),
                (("玩偶", "Doll"), ("毛绒玩偶", "Plush Toy"), ("布偶", "Rag Doll")),
                (("有机棉", "Organic Cotton"), ("羊毛毡", "Wool Felt"), ("亚麻", "Linen")),
                (98, 980),
                (SIZES_SML,),
                ((15, 40), (8, 20), (20, 50)),
                weight=5,
            ),
        ),
    ),
    Top(
        slug="bags",
        name=("包袋", "Bags & Leather"),
        palette=("#f2ebe3", "#b5835a", "#6f4e37", "#2e4057", "#c9a227", "#8c8c88"),
        crafts=(
            ("{m}经手工裁切、缝线与封边。", "The {m} is hand cut, stitched and edge-finished."),
            ("全部采用马鞍针法手缝，结实耐用。", "Hand saddle-stitched to last."),
            (
                "五金件为实心黄铜，会随使用慢慢氧化出光泽。",
                "Solid brass hardware that patinates with use.",
            ),
        ),
        uses=(
            ("通勤、旅行与周末出门都合适。", "For commuting, travel and weekends."),
            ("随着使用，皮面会养出独特的色泽。", "The leather takes on its own patina with use."),
        ),
        cares=(
            ("避免雨淋，定期使用皮革护理油。", "Keep out of the rain; condition the leather."),
            ("帆布部分可局部清洗。", "Spot clean the canvas."),
        ),
        studio_suffix=("皮具", "Leather"),
        focus=("以植鞣皮与帆布制作日常包袋", "makes everyday bags in leather and canvas"),
        children=(
            Leaf(
                "handbags",
                ("包袋", "Bags"),
                (
                    ("托特包", "Tote Bag"),
                    ("斜挎包", "Crossbody Bag"),
                    ("双肩包", "Backpack"),
                    ("手提包", "Handbag"),
                ),
                (
                    ("植鞣皮", "Vegetable-Tanned Leather"),
                    ("帆布", "Canvas"),
                    ("蜡染帆布", "Waxed Canvas"),
                    ("尼龙", "Nylon"),
                ),
                (280, 6800),
                (COLOURS_LEATHER, Axis("尺寸", ("小号", "中号", "大号"), 20)),
                ((20, 45), (8, 18), (20, 45)),
                weight=8,
            ),
            Leaf(
                "small-leather",
                ("皮具小件", "Small Leather Goods"),
                (
                    ("卡包", "Card Holder"),
                    ("钱包", "Wallet"),
                    ("钥匙包", "Key Pouch"),
                    ("笔袋", "Pencil Case"),
                ),
                (
                    ("植鞣皮", "Vegetable-Tanned Leather"),
                    ("马臀皮", "Shell Cordovan"),
                    ("帆布", "Canvas"),
                ),
                (120, 1800),
                (COLOURS_LEATHER,),
                ((8, 20), (1, 3), (6, 12)),
                weight=6,
            ),
        ),
    ),
)

# Prints are titled by their work: 丝网版画《远山》 / "Distant Hills" Screen Print.
WORK_TITLES: tuple[Pair, ...] = (
    ("远山", "Distant Hills"),
    ("江南", "Jiangnan"),
    ("雾", "Fog"),
    ("潮汐", "Tides"),
    ("城市之光", "City Lights"),
    ("竹林", "Bamboo Grove"),
    ("候鸟", "Migrants"),
    ("静物", "Still Life"),
    ("夏至", "Summer Solstice"),
    ("白露", "White Dew"),
    ("霜降", "Frost's Descent"),
    ("长街", "Long Street"),
    ("窗", "Window"),
    ("庭院", "Courtyard"),
    ("西湖", "West Lake"),
    ("北海", "North Sea"),
    ("峡湾", "Fjord"),
    ("回声", "Echo"),
    ("几何", "Geometry"),
    ("游园", "Garden Stroll"),
    ("石库门", "Shikumen"),
    ("山水之间", "Between Mountains and Water"),
)

# Collection names some products carry: 弧系列胡桃木休闲椅子 / Arc Walnut Lounge Chair.
SERIES: tuple[Pair, ...] = (
    ("弧", "Arc"),
    ("沙丘", "Dune"),
    ("霭", "Haze"),
    ("潮", "Tide"),
    ("山脊", "Ridge"),
    ("苔", "Moss"),
    ("余烬", "Ember"),
    ("峡湾", "Fjord"),
    ("云", "Kumo"),
    ("环", "Loop"),
    ("月", "Luna"),
    ("拾", "Gather"),
    ("方", "Quadra"),
    ("栖", "Nest"),
    ("禅", "Zen"),
    ("北", "Nord"),
)


# --- places -------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    code: str
    name: Pair
    cities: tuple[Pair, ...]
    names: str  # which name list its people draw from
    weight: int


COUNTRIES: tuple[Country, ...] = (
    Country(
        "CN",
        ("中国", "China"),
        (
            ("上海", "Shanghai"),
            ("北京", "Beijing"),
            ("杭州", "Hangzhou"),
            ("景德镇", "Jingdezhen"),
            ("广州", "Guangzhou"),
            ("深圳", "Shenzhen"),
            ("成都", "Chengdu"),
            ("苏州", "Suzhou"),
            ("南京", "Nanjing"),
            ("厦门", "Xiamen"),
            ("佛山", "Foshan"),
            ("宜兴", "Yixing"),
            ("大理", "Dali"),
            ("西安", "Xi'an"),
            ("重庆", "Chongqing"),
            ("德化", "Dehua"),
        ),
        "cn",
        110,
    ),
    Country(
        "JP",
        ("日本", "Japan"),
        (("东京", "Tokyo"), ("京都", "Kyoto"), ("大阪", "Osaka"), ("金泽", "Kanazawa")),
        "jp",
        14,
    ),
    Country("KR", ("韩国", "South Korea"), (("首尔", "Seoul"), ("釜山", "Busan")), "kr", 7),
    Country(
        "DK", ("丹麦", "Denmark"), (("哥本哈根", "Copenhagen"), ("奥胡斯", "Aarhus")), "nordic", 8
    ),
    Country(
        "SE",
        ("瑞典", "Sweden"),
        (("斯德哥尔摩", "Stockholm"), ("哥德堡", "Gothenburg")),
        "nordic",
        6,
    ),
    Country("NO", ("挪威", "Norway"), (("奥斯陆", "Oslo"), ("卑尔根", "Bergen")), "nordic", 3),
    Country(
        "FI", ("芬兰", "Finland"), (("赫尔辛基", "Helsinki"), ("图尔库", "Turku")), "nordic", 4
    ),
    Country("IS", ("冰岛", "Iceland"), (("雷克雅未克", "Reykjavik"),), "nordic", 1),
    Country(
        "IT",
        ("意大利", "Italy"),
        (("米兰", "Milan"), ("佛罗伦萨", "Florence"), ("都灵", "Turin")),
        "it",
        7,
    ),
    Country(
        "DE",
        ("德国", "Germany"),
        (("柏林", "Berlin"), ("慕尼黑", "Munich"), ("汉堡", "Hamburg")),
        "de",
        6,
    ),
    Country("AT", ("奥地利", "Austria"), (("维也纳", "Vienna"),), "de", 2),
    Country("CH", ("瑞士", "Switzerland"), (("苏黎世", "Zurich"), ("洛桑", "Lausanne")), "de", 3),
    Country("FR", ("法国", "France"), (("巴黎", "Paris"), ("里昂", "Lyon")), "fr", 6),
    Country(
        "BE", ("比利时", "Belgium"), (("安特卫普", "Antwerp"), ("布鲁塞尔", "Brussels")), "fr", 3
    ),
    Country(
        "NL",
        ("荷兰", "Netherlands"),
        (("阿姆斯特丹", "Amsterdam"), ("埃因霍温", "Eindhoven"), ("鹿特丹", "Rotterdam")),
        "nl",
        6,
    ),
    Country(
        "GB", ("英国", "United Kingdom"), (("伦敦", "London"), ("格拉斯哥", "Glasgow")), "en", 7
    ),
    Country(
        "US",
        ("美国", "United States"),
        (("纽约", "New York"), ("洛杉矶", "Los Angeles"), ("波特兰", "Portland")),
        "en",
        6,
    ),
    Country(
        "CA", ("加拿大", "Canada"), (("温哥华", "Vancouver"), ("蒙特利尔", "Montreal")), "en", 2
    ),
    Country(
        "AU", ("澳大利亚", "Australia"), (("墨尔本", "Melbourne"), ("悉尼", "Sydney")), "en", 3
    ),
    Country("NZ", ("新西兰", "New Zealand"), (("奥克兰", "Auckland"),), "en", 1),
    Country("ES", ("西班牙", "Spain"), (("巴塞罗那", "Barcelona"), ("马德里", "Madrid")), "es", 4),
    Country("PT", ("葡萄牙", "Portugal"), (("里斯本", "Lisbon"), ("波尔图", "Porto")), "es", 2),
    Country(
        "MX", ("墨西哥", "Mexico"), (("墨西哥城", "Mexico City"), ("瓦哈卡", "Oaxaca")), "es", 2
    ),
)


# --- people -------------------------------------------------------------------------

CN_SURNAMES = _pairs(
    "王:Wang 李:Li 张:Zhang 刘:Liu 陈:Chen 杨:Yang 黄:Huang 赵:Zhao 吴:Wu 周:Zhou 徐:Xu "
    "孙:Sun 马:Ma 朱:Zhu 胡:Hu 郭:Guo 何:He 林:Lin 罗:Luo 高:Gao 梁:Liang 郑:Zheng 谢:Xie "
    "宋:Song 唐:Tang 韩:Han 冯:Feng 邓:Deng 曹:Cao 彭:Peng 曾:Zeng 萧:Xiao 田:Tian 董:Dong "
    "潘:Pan 袁:Yuan 蒋:Jiang 蔡:Cai 余:Yu 叶:Ye 程:Cheng 苏:Su 魏:Wei 丁:Ding 沈:Shen 任:Ren "
    "姚:Yao 卢:Lu 傅:Fu 钟:Zhong 崔:Cui 谭:Tan 陆:Lu 范:Fan 方:Fang 石:Shi 顾:Gu 孟:Meng "
    "白:Bai 严:Yan 邱:Qiu 温:Wen 江:Jiang"
)
# Given-name characters with their pinyin syllable.
CN_GIVEN = _pairs(
    "晓:xiao 雯:wen 子:zi 涵:han 宇:yu 航:hang 思:si 远:yuan 一:yi 鸣:ming 佳:jia 怡:yi "
    "浩:hao 然:ran 静:jing 安:an 明:ming 哲:zhe 若:ruo 溪:xi 沐:mu 辰:chen 嘉:jia 禾:he "
    "书:shu 瑶:yao 言:yan 川:chuan 青:qing 岚:lan 启:qi 文:wen 立:li 新:xin 墨:mo 知:zhi "
    "秋:qiu 南:nan 星:xing 野:ye 舟:zhou 逸:yi 凡:fan 清:qing 和:he 悦:yue 朗:lang 希:xi "
    "诺:nuo 澄:cheng 蔚:wei 可:ke 欣:xin 乐:le 恩:en"
)
# Japanese and Korean names are written in Chinese characters, family name first.
JP_SURNAMES = _pairs(
    "佐藤:Sato 铃木:Suzuki 高桥:Takahashi 田中:Tanaka 渡边:Watanabe 伊藤:Ito 山本:Yamamoto "
    "中村:Nakamura 小林:Kobayashi 加藤:Kato 吉田:Yoshida 山田:Yamada 松本:Matsumoto "
    "井上:Inoue 木村:Kimura 清水:Shimizu 森:Mori 池田:Ikeda 桥本:Hashimoto 石川:Ishikawa"
)
JP_GIVEN = _pairs(
    "健一:Kenichi 直人:Naoto 翔太:Shota 大辉:Daiki 拓也:Takuya 阳菜:Hina 美咲:Misaki "
    "由纪:Yuki 真由美:Mayumi 惠:Megumi 亮:Ryo 修:Osamu 隆:Takashi 裕子:Yuko 直子:Naoko "
    "千寻:Chihiro 葵:Aoi 莲:Ren 悠真:Yuma 纱希:Saki"
)
KR_SURNAMES = _pairs(
    "金:Kim 李:Lee 朴:Park 崔:Choi 郑:Jung 姜:Kang 赵:Cho 尹:Yoon 张:Jang 林:Lim 韩:Han "
    "吴:Oh 徐:Seo 申:Shin 权:Kwon"
)
KR_GIVEN = _pairs(
    "敏俊:Min-jun 瑞妍:Seo-yeon 智勋:Ji-hoon 秀彬:Su-bin 多贤:Da-hyun 在元:Jae-won "
    "恩惠:Eun-hye 贤宇:Hyun-woo 志英:Ji-young 成民:Sung-min 惠珍:Hye-jin 东贤:Dong-hyun"
)
# Western names with their Chinese transliteration: (given names, family names) per group.
# A space inside a name is written as "_" here.
WESTERN_NAMES: dict[str, tuple[tuple[Pair, ...], tuple[Pair, ...]]] = {
    "nordic": (
        _pairs(
            "拉尔斯:Lars 安娜:Anna 埃里克:Erik 英格丽德:Ingrid 梅特:Mette 索菲:Sofie "
            "亨里克:Henrik 阿斯特丽德:Astrid 尼尔斯:Nils 弗蕾娅:Freja 马格努斯:Magnus 卡琳:Karin "
            "奥斯卡:Oskar 丽芙:Liv 米克尔:Mikkel 艾诺:Aino 埃罗:Eero 西格丽德:Sigrid 玛雅:Maja "
            "埃米尔:Emil"
        ),
        _pairs(
            "汉森:Hansen 延森:Jensen 尼尔森:Nielsen 拉森:Larsen 安德松:Andersson "
            "约翰松:Johansson 林德奎斯特:Lindqvist 贝里:Berg 维尔塔宁:Virtanen 科霍宁:Korhonen "
            "达尔:Dahl 霍尔姆:Holm 伦德:Lund 斯特兰德:Strand 埃里克森:Eriksen 尼斯特伦:Nyström"
        ),
    ),
    "it": (
        _pairs(
            "马可:Marco 朱莉娅:Giulia 卢卡:Luca 基娅拉:Chiara 马泰奥:Matteo "
            "弗朗切斯卡:Francesca 亚历山德罗:Alessandro 索菲亚:Sofia 洛伦佐:Lorenzo 埃莱娜:Elena"
        ),
        _pairs(
            "罗西:Rossi 比安基:Bianchi 罗马诺:Romano 科隆博:Colombo 里奇:Ricci 马里诺:Marino "
            "格雷科:Greco 布鲁诺:Bruno 加洛:Gallo 孔蒂:Conti 丰塔纳:Fontana"
        ),
    ),
    "de": (
        _pairs(
            "约纳斯:Jonas 莱娜:Lena 费利克斯:Felix 克拉拉:Clara 保罗:Paul 汉娜:Hanna "
            "马克西米利安:Maximilian 莱奥妮:Leonie 托比亚斯:Tobias 约翰娜:Johanna"
        ),
        _pairs(
            "米勒:Müller 施密特:Schmidt 韦伯:Weber 瓦格纳:Wagner 贝克尔:Becker 霍夫曼:Hoffmann "
            "科赫:Koch 里希特:Richter 沃尔夫:Wolf 布劳恩:Braun"
        ),
    ),
    "fr": (
        _pairs(
            "卡米耶:Camille 路易:Louis 克洛埃:Chloé 雨果:Hugo 莱娅:Léa 朱尔:Jules 玛农:Manon "
            "阿蒂尔:Arthur 伊内丝:Inès 泰奥:Théo"
        ),
        _pairs(
            "马丁:Martin 贝尔纳:Bernard 迪布瓦:Dubois 洛朗:Laurent 莫罗:Moreau 勒菲弗:Lefèvre "
            "加尼耶:Garnier 鲁:Roux 方丹:Fontaine 梅西耶:Mercier"
        ),
    ),
    "nl": (
        _pairs(
            "达恩:Daan 桑内:Sanne 布拉姆:Bram 弗勒:Fleur 泰斯:Thijs 诺尔:Noor 鲁本:Ruben 洛特:Lotte"
        ),
        _pairs(
            "德弗里斯:de_Vries 范戴克:van_Dijk 巴克:Bakker 菲瑟:Visser 斯密特:Smit 穆德:Mulder "
            "德波尔:de_Boer 扬森:Jansen"
        ),
    ),
    "en": (
        _pairs(
            "奥利弗:Oliver 阿米莉亚:Amelia 詹姆斯:James 奥利维亚:Olivia 托马斯:Thomas "
            "埃米莉:Emily 乔治:George 格蕾丝:Grace 塞缪尔:Samuel 露西:Lucy 亨利:Henry 艾拉:Isla "
            "丹尼尔:Daniel 鲁比:Ruby 诺亚:Noah 黑兹尔:Hazel"
        ),
        _pairs(
            "史密斯:Smith 泰勒:Taylor 布朗:Brown 威尔逊:Wilson 埃文斯:Evans 沃克:Walker "
            "赖特:Wright 休斯:Hughes 格林:Green 霍尔:Hall 克拉克:Clarke 贝内特:Bennett "
            "卡特:Carter 摩根:Morgan 福斯特:Foster 里德:Reed"
        ),
    ),
    "es": (
        _pairs(
            "露西娅:Lucía 巴勃罗:Pablo 卡门:Carmen 哈维尔:Javier 玛尔塔:Marta 迭戈:Diego "
            "塞尔吉奥:Sergio 保拉:Paula 蒂亚戈:Tiago 贝亚特丽斯:Beatriz"
        ),
        _pairs(
            "加西亚:García 马丁内斯:Martínez 洛佩斯:López 桑切斯:Sánchez 罗梅罗:Romero "
            "纳瓦罗:Navarro 席尔瓦:Silva 科斯塔:Costa 费雷拉:Ferreira 奥尔特加:Ortega"
        ),
    ),
}

SCHOOLS: dict[str, tuple[Pair, ...]] = {
    "cn": (
        ("中央美术学院", "the Central Academy of Fine Arts"),
        ("清华大学美术学院", "the Academy of Arts & Design, Tsinghua University"),
        ("中国美术学院", "the China Academy of Art"),
        ("广州美术学院", "the Guangzhou Academy of Fine Arts"),
        ("景德镇陶瓷大学", "Jingdezhen Ceramic University"),
        ("同济大学设计创意学院", "Tongji University College of Design and Innovation"),
        ("江南大学设计学院", "the School of Design, Jiangnan University"),
        ("伦敦皇家艺术学院", "the Royal College of Art"),
    ),
    "jp": (
        ("多摩美术大学", "Tama Art University"),
        ("武藏野美术大学", "Musashino Art University"),
        ("京都市立艺术大学", "Kyoto City University of Arts"),
    ),
    "kr": (("弘益大学", "Hongik University"), ("首尔大学", "Seoul National University")),
    "intl": (
        ("丹麦皇家艺术学院", "the Royal Danish Academy"),
        ("埃因霍温设计学院", "Design Academy Eindhoven"),
        ("伦敦皇家艺术学院", "the Royal College of Art"),
        ("米兰理工大学", "Politecnico di Milano"),
        ("阿尔托大学", "Aalto University"),
        ("罗德岛设计学院", "the Rhode Island School of Design"),
        ("洛桑艺术大学", "ECAL Lausanne"),
        ("康斯特学院", "Konstfack"),
    ),
}

FAIRS: tuple[Pair, ...] = (
    ("米兰设计周", "Milan Design Week"),
    ("北京国际设计周", "Beijing Design Week"),
    ("上海设计周", "Design Shanghai"),
    ("伦敦设计节", "the London Design Festival"),
    ("哥本哈根 3 Days of Design", "3daysofdesign in Copenhagen"),
    ("荷兰设计周", "Dutch Design Week"),
    ("深圳设计周", "Shenzhen Design Week"),
    ("东京设计周", "Tokyo Design Week"),
)
HONOURS: tuple[Pair, ...] = (
    ("作品被多家美术馆收藏。", "Works are held in several museum collections."),
    ("曾获红点设计奖与 iF 设计奖。", "A Red Dot and iF design award winner."),
    ("是本届设计周的特邀设计师。", "A guest designer of this year's design week."),
    ("担任多所设计院校的客座教授。", "Visiting professor at several design schools."),
)

# --- shops --------------------------------------------------------------------------

# Chinese brand words with their romanisation: 拾光器物 / Shiguang Objects.
CN_BRAND_WORDS = _pairs(
    "拾光:Shiguang 素舍:Sushe 青隐:Qingyin 半山:Banshan 栖木:Qimu 朴器:Puqi 一隅:Yiyu "
    "观物:Guanwu 物外:Wuwai 云间:Yunjian 知白:Zhibai 简乐:Jianle 林间:Linjian 土木:Tumu "
    "日常:Richang 南山:Nanshan 白塔:Baita 回响:Huixiang 大象:Daxiang 蓝屿:Lanyu "
    "见素:Jiansu 止观:Zhiguan 器研:Qiyan 慢物:Manwu 方寸:Fangcun 小满:Xiaoman 立秋:Liqiu "
    "清和:Qinghe 素白:Subai 有间:Youjian"
)
# International brand stems with their Chinese transliteration: Nordvik Objects / 诺德维克器物.
INTL_BRAND_WORDS = _pairs(
    "诺德维克:Nordvik 卢门:Lumen 福尔马:Forma 哈尔登:Halden 奥斯特拉:Ostra 韦尔德:Verde "
    "布吕姆:Brume 菲耶尔德:Fjeld 阿尔巴:Alba 莫诺:Mono 利内亚:Linea 泰拉:Terra 索拉:Sora "
    "哈科:Hako 卡里:Kaari 奥克萨:Oksa 温特:Vinter 索伦:Solen 阿克尔:Arkel 梅里迪亚:Meridia"
)
BRAND_SUFFIXES: tuple[Pair, ...] = (
    ("器物", "Objects"),
    ("家居", "Home"),
    ("生活", "Living"),
    ("设计", "Design"),
    ("制造", "Works"),
    ("工坊", "Atelier"),
    ("选物", "Select"),
)
# Booths of the offline show, named in shop descriptions.
HALLS: tuple[Pair, ...] = (
    ("A 馆", "Hall A"),
    ("B 馆", "Hall B"),
    ("C 馆", "Hall C"),
    ("D 馆", "Hall D"),
    ("老厂房展区", "the Old Factory"),
    ("滨江展区", "the Riverside Pavilion"),
)

SHOP_SUSPEND_REASON = "多次超时未发货，暂停营业待整改。"
SHOP_REJECT_REASONS: tuple[str, ...] = (
    "申请材料缺少品牌授权证明，请补充后重新申请。",
    "店铺介绍与经营类目不符，请修改后重新申请。",
)
PRODUCT_REJECT_NOTES: tuple[str, ...] = (
    "主图不够清晰，请补充细节图后重新提交。",
    "请补充材质与尺寸说明。",
    "标题中含有夸大用语，请修改。",
)
PRODUCT_DELIST_NOTES: tuple[str, ...] = ("", "", "设计周后暂停销售。", "库存调整，暂时下架。")
