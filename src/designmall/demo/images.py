"""Demo pictures drawn locally with Pillow: no network, no stock photos.

A small pool of abstract still lifes per top category (a gradient backdrop, a
ground line, a soft shadow and a simple object motif in the category's palette)
is written once to the default storage under ``demo/``; many products share a
picture. Designer portraits are drawn heads and shoulders on a colour; the
auction's manuscript lots get sheets of pencil sketches. Each file's content
follows from its name alone, so an existing file is never drawn again.
"""

from __future__ import annotations

import functools
import io
import random
import zlib
from collections.abc import Callable, Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFilter

from designmall.demo import data

SIZE = 800
QUALITY = 82
POOL_PER_CATEGORY = 7
PORTRAIT_SIZE = 400
PORTRAIT_COLOURS = (
    "#8a6a4f",
    "#5f8b83",
    "#38598b",
    "#a35a47",
    "#5b4e77",
    "#6b705c",
    "#2a9d8f",
    "#c97b63",
    "#3d3a4b",
    "#b5835a",
)

RGB = tuple[int, int, int]


def product_image_name(top_slug: str, index: int) -> str:
    return f"demo/products/{top_slug}-{index:02d}.jpg"


def portrait_name(initials: str, colour: int) -> str:
    """A designer's drawn portrait: the file follows from the colour and the look."""
    return portrait_name_of(colour, portrait_variant(initials))


def _rgb(hex_colour: str) -> RGB:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()


# --- motifs: each draws one object standing on the ground line at (cx, ground) -----------
# Drawn at twice the final size and scaled down, which smooths every edge.

Motif = Callable[[ImageDraw.ImageDraw, random.Random, list[RGB], int, int, int], None]


def _furniture(draw, rng, colours, s, cx, ground):
    wood, cushion = colours[0], colours[1]
    w = rng.randint(s // 4, s // 3)
    seat_y = ground - rng.randint(s // 5, s // 4)
    back_h = rng.randint(s // 6, s // 4)
    # The back first: the seat and its cushion sit in front of it.
    if rng.random() < 0.5:
        draw.pieslice(
            (cx - w // 2, seat_y - back_h, cx + w // 2, seat_y + back_h), 180, 360, fill=wood
        )
    else:
        draw.rounded_rectangle(
            (cx - w // 2, seat_y - back_h, cx - w // 2 + s // 30, seat_y), s // 80, fill=wood
        )
        draw.rounded_rectangle(
            (cx - w // 2, seat_y - back_h, cx + w // 2, seat_y - back_h + s // 12),
            s // 60,
            fill=cushion,
        )
    leg = s // 70
    for x in (cx - w // 2 + leg, cx + w // 2 - 2 * leg):
        draw.rectangle((x, seat_y, x + leg, ground), fill=wood)
    draw.rounded_rectangle(
        (cx - w // 2, seat_y - s // 40, cx + w // 2, seat_y + s // 60), s // 80, fill=wood
    )
    draw.rounded_rectangle(
        (cx - w // 2 + s // 60, seat_y - s // 18, cx + w // 2 - s // 60, seat_y - s // 40),
        s // 40,
        fill=cushion,
    )


def _lighting(draw, rng, colours, s, cx, ground):
    metal, shade = colours[0], colours[1]
    height = min(rng.randint(s // 3, s // 2), ground - s // 6)  # the shade stays in frame
    top = ground - height
    draw.ellipse((cx - s // 14, ground - s // 50, cx + s // 14, ground + s // 50), fill=metal)
    draw.rectangle((cx - s // 200, top, cx + s // 200, ground), fill=metal)
    r = rng.randint(s // 9, s // 6)
    if rng.random() < 0.5:
        draw.pieslice((cx - r, top - r // 2, cx + r, top + r + r // 2), 180, 360, fill=shade)
    else:
        draw.polygon(
            [
                (cx - r // 2, top - r // 2),
                (cx + r // 2, top - r // 2),
                (cx + r, top + r // 3),
                (cx - r, top + r // 3),
            ],
            fill=shade,
        )


def _ceramics(draw, rng, colours, s, cx, ground):
    glaze, rim = colours[0], colours[1]
    w = rng.randint(s // 7, s // 4)
    h = rng.randint(s // 6, s // 3)
    if rng.random() < 0.6:  # a vase: body, neck, lip
        draw.ellipse((cx - w // 2, ground - h, cx + w // 2, ground), fill=glaze)
        neck = max(w // 5, s // 40)
        draw.rectangle(
            (cx - neck // 2, ground - h - h // 3, cx + neck // 2, ground - h + h // 6), fill=glaze
        )
        draw.ellipse(
            (cx - neck, ground - h - h // 3 - s // 80, cx + neck, ground - h - h // 3 + s // 80),
            fill=rim,
        )
    else:  # stacked bowls
        for n in range(rng.randint(2, 4)):
            bw = w + s // 8 - n * s // 30
            y = ground - n * s // 22
            draw.chord(
                (cx - bw // 2, y - s // 6, cx + bw // 2, y), 0, 180, fill=colours[n % len(colours)]
            )


def _textiles(draw, rng, colours, s, cx, ground):
    w = rng.randint(s // 3, s // 2)
    layers = rng.randint(3, 5)
    thickness = s // 28
    for n in range(layers):
        y = ground - (n + 1) * thickness
        inset = rng.randint(0, s // 40)
        draw.rounded_rectangle(
            (cx - w // 2 + inset, y, cx + w // 2 - inset, y + thickness - s // 200),
            thickness // 2,
            fill=colours[n % len(colours)],
        )


def _jewellery(draw, rng, colours, s, cx, ground):
    gold = colours[0]
    for n in range(rng.randint(1, 3)):
        r = rng.randint(s // 12, s // 7)
        x = cx + (n - 1) * r
        draw.ellipse((x - r, ground - 2 * r, x + r, ground), outline=gold, width=s // 45)
    gem = s // 30
    draw.ellipse((cx - gem, ground - 2 * gem - s // 5, cx + gem, ground - s // 5), fill=colours[1])


def _stationery(draw, rng, colours, s, cx, ground):
    book_w, book_h = s // 3, s // 24
    draw.rounded_rectangle(
        (cx - book_w // 2, ground - book_h, cx + book_w // 2, ground), s // 200, fill=colours[0]
    )
    draw.rectangle(
        (cx + book_w // 5, ground - book_h, cx + book_w // 5 + s // 80, ground), fill=colours[1]
    )
    for n in range(rng.randint(1, 3)):
        y = ground - book_h - (n + 1) * s // 40
        length = rng.randint(s // 4, s // 3)
        draw.rounded_rectangle(
            (cx - length // 2, y, cx + length // 2, y + s // 70),
            s // 140,
            fill=colours[(n + 1) % len(colours)],
        )


def _prints(draw, rng, colours, s, cx, ground):
    w, h = rng.randint(s // 3, s // 2), rng.randint(s // 3, s // 2)
    top = ground - h - s // 8
    frame = s // 60
    draw.rectangle(
        (cx - w // 2 - frame, top - frame, cx + w // 2 + frame, top + h + frame), fill=(40, 36, 32)
    )
    draw.rectangle((cx - w // 2, top, cx + w // 2, top + h), fill=(247, 243, 234))
    m = s // 20
    for n in range(rng.randint(2, 4)):
        colour = colours[n % len(colours)]
        x0, y0 = rng.randint(cx - w // 2 + m, cx), rng.randint(top + m, top + h // 2)
        x1, y1 = x0 + rng.randint(m, w // 2 - m), y0 + rng.randint(m, h // 2 - m)
        if n % 2:
            draw.ellipse((x0, y0, x0 + (x1 - x0), y0 + (x1 - x0)), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)


def _glass(draw, rng, colours, s, cx, ground):
    for n in range(rng.randint(2, 3)):
        w = rng.randint(s // 10, s // 6)
        h = rng.randint(s // 6, s // 3)
        x = cx + (n - 1) * (w + s // 40)
        fill = (*colours[n % len(colours)], 150)
        draw.rounded_rectangle((x - w // 2, ground - h, x + w // 2, ground), w // 5, fill=fill)
        draw.line(
            (x - w // 4, ground - h + s // 40, x - w // 4, ground - s // 30),
            fill=(255, 255, 255, 170),
            width=s // 160,
        )


def _fragrance(draw, rng, colours, s, cx, ground):
    w, h = rng.randint(s // 7, s // 5), rng.randint(s // 7, s // 5)
    draw.rounded_rectangle((cx - w // 2, ground - h, cx + w // 2, ground), s // 60, fill=colours[0])
    draw.rectangle(
        (cx - w // 2, ground - h * 2 // 3, cx + w // 2, ground - h // 3), fill=colours[1]
    )
    draw.line((cx, ground - h, cx, ground - h - s // 40), fill=(60, 50, 40), width=s // 200)
    flame = s // 60
    draw.ellipse(
        (cx - flame, ground - h - s // 40 - 3 * flame, cx + flame, ground - h - s // 40),
        fill=(255, 196, 92),
    )


def _toys(draw, rng, colours, s, cx, ground):
    block = rng.randint(s // 12, s // 8)
    x = cx - block * 3 // 2
    for n in range(3):
        draw.rectangle(
            (x + n * block, ground - block, x + (n + 1) * block - s // 200, ground),
            fill=colours[n % len(colours)],
        )
    draw.rectangle(
        (x + block // 2, ground - 2 * block, x + 3 * block // 2, ground - block),
        fill=colours[3 % len(colours)],
    )
    draw.polygon(
        [
            (x + 3 * block // 2, ground - block),
            (x + 5 * block // 2, ground - block),
            (x + 2 * block, ground - 2 * block),
        ],
        fill=colours[4 % len(colours)],
    )
    draw.ellipse(
        (x + block // 2, ground - 3 * block, x + 3 * block // 2, ground - 2 * block),
        fill=colours[1],
    )


def _bags(draw, rng, colours, s, cx, ground):
    w, h = rng.randint(s // 4, s // 3), rng.randint(s // 5, s // 4)
    draw.arc(
        (cx - w // 4, ground - h - w // 3, cx + w // 4, ground - h + w // 6),
        180,
        360,
        fill=colours[1],
        width=s // 60,
    )
    draw.polygon(
        [
            (cx - w // 2 + s // 30, ground - h),
            (cx + w // 2 - s // 30, ground - h),
            (cx + w // 2, ground),
            (cx - w // 2, ground),
        ],
        fill=colours[0],
    )
    draw.rectangle(
        (cx - w // 2 + s // 20, ground - h // 2, cx + w // 2 - s // 20, ground - h // 2 + s // 120),
        fill=colours[1],
    )


MOTIFS: dict[str, Motif] = {
    "furniture": _furniture,
    "lighting": _lighting,
    "ceramics": _ceramics,
    "textiles": _textiles,
    "jewellery": _jewellery,
    "stationery": _stationery,
    "prints": _prints,
    "glass": _glass,
    "fragrance": _fragrance,
    "toys": _toys,
    "bags": _bags,
}


@functools.cache
def _grain() -> Image.Image:
    """A faint film grain shared by every picture, the same on every machine."""
    noise = Image.frombytes("L", (SIZE, SIZE), random.Random(0).randbytes(SIZE * SIZE))
    return noise.point(lambda v: 128 + (v - 128) // 5).convert("RGBA")


def render_product_image(top: data.Top, index: int) -> bytes:
    """One 800×800 JPEG of the category's motif; the same (top, index) draws the same picture."""
    rng = random.Random(f"{top.slug}/{index}")
    palette = [_rgb(c) for c in top.palette]
    light, accents = palette[0], palette[1:]
    rng.shuffle(accents)
    glow_colour = max(accents, key=sum)  # the lightest: a dark glow looks like a stain
    backdrop = (
        _mix(light, (255, 255, 255), 0.35),
        _mix(light, accents[-1], rng.uniform(0.15, 0.35)),
    )
    mask = Image.linear_gradient("L").resize((SIZE, SIZE))
    image = Image.composite(
        Image.new("RGB", (SIZE, SIZE), backdrop[1]),
        Image.new("RGB", (SIZE, SIZE), backdrop[0]),
        mask,
    ).convert("RGBA")

    s = SIZE * 2
    ground = int(s * rng.uniform(0.7, 0.78))
    cx = int(s * rng.uniform(0.42, 0.58))
    # Soft layers (a sun or lamp glow for depth, the object's shadow) are blurred
    # anyway, so they are drawn small and scaled up; that keeps a picture cheap.
    soft_size = SIZE // 4
    k = soft_size / s
    glow = _mix(glow_colour, (255, 255, 255), 0.25)
    # Transparent pixels carry the glow's colour too, or the blur leaves a dark rim.
    soft = Image.new("RGBA", (soft_size, soft_size), (*glow, 0))
    draw = ImageDraw.Draw(soft)
    r = rng.randint(s // 6, s // 4)
    gx, gy = rng.randint(s // 4, 3 * s // 4), rng.randint(s // 6, s // 2)
    draw.ellipse(
        ((gx - r) * k, (gy - r) * k, (gx + r) * k, (gy + r) * k),
        fill=(*glow, 110),
    )
    soft = soft.filter(ImageFilter.GaussianBlur(soft_size // 40 + 1))
    image.alpha_composite(soft.resize((SIZE, SIZE), Image.Resampling.BILINEAR))
    # The surface the object stands on.
    surface = (*_mix(backdrop[1], accents[-1], 0.3), 255)
    ImageDraw.Draw(image).rectangle((0, ground // 2, SIZE, SIZE), fill=surface)
    shadow = Image.new("RGBA", (soft_size, soft_size))
    ImageDraw.Draw(shadow).ellipse(
        ((cx - s // 5) * k, (ground - s // 60) * k, (cx + s // 5) * k, (ground + s // 40) * k),
        fill=(0, 0, 0, 70),
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(2))
    image.alpha_composite(shadow.resize((SIZE, SIZE), Image.Resampling.BILINEAR))
    # The object, drawn at twice the size and averaged down: smooth edges.
    thing = Image.new("RGBA", (s, s))
    # Motifs size themselves by the scale they are given; most may fill more of the frame.
    scale = s if top.slug == "prints" else s * 7 // 5
    MOTIFS[top.slug](ImageDraw.Draw(thing, "RGBA"), rng, accents, scale, cx, ground)
    image.alpha_composite(thing.reduce(2))

    image = Image.blend(image, _grain(), 0.035)
    return _jpeg(image)


# Skin tones, hair colours and clothes of the drawn portraits: a variant picks one of each
# and a hair style, so the 340 designers do not all look alike.
_SKINS = ("#f1d0b5", "#e5b99a", "#d19f7c", "#b47b57", "#8d5a3b", "#f6dcc6")
_HAIRS = ("#2b2220", "#3b2a21", "#5a3d2b", "#8a6a4f", "#c9c2b8", "#1d1d1f", "#a0522d")
_CLOTHES = ("#f4f1ea", "#2f3e46", "#d6c9a8", "#1d1d1f", "#a7c4bc", "#c97b63", "#e9dfd1")
PORTRAIT_VARIANTS = 48


def portrait_variant(initials: str) -> int:
    """The look of a designer's portrait, from their initials (stable across runs)."""
    return zlib.crc32(initials.encode()) % PORTRAIT_VARIANTS


def render_portrait(colour: int, variant: int) -> bytes:
    """A drawn head-and-shoulders portrait on one of the portrait colours, 400×400: skin,
    hair style and colour, clothes and glasses follow from ``variant``."""
    rng = random.Random(f"portrait/{colour}/{variant}")
    size, s = PORTRAIT_SIZE, PORTRAIT_SIZE * 2
    background = _rgb(PORTRAIT_COLOURS[colour % len(PORTRAIT_COLOURS)])
    mask = Image.linear_gradient("L").resize((size, size))
    image = Image.composite(
        Image.new("RGB", (size, size), _mix(background, (0, 0, 0), 0.18)),
        Image.new("RGB", (size, size), _mix(background, (255, 255, 255), 0.25)),
        mask,
    ).convert("RGBA")
    figure = Image.new("RGBA", (s, s))
    draw = ImageDraw.Draw(figure)
    skin = _rgb(_SKINS[variant % len(_SKINS)])
    hair = _rgb(_HAIRS[(variant // 2) % len(_HAIRS)])
    clothes = _rgb(_CLOTHES[(variant // 3) % len(_CLOTHES)])
    style = variant % 4
    cx, head_y, head_r = s // 2, int(s * 0.42), int(s * 0.17)
    # Long hair falls behind the shoulders.
    if style == 2:
        draw.rounded_rectangle(
            (cx - head_r * 1.25, head_y - head_r, cx + head_r * 1.25, head_y + head_r * 2.3),
            radius=head_r,
            fill=hair,
        )
    # Shoulders and neck.
    draw.ellipse((cx - s * 0.36, s * 0.74, cx + s * 0.36, s * 1.3), fill=clothes)
    draw.rectangle(
        (cx - head_r * 0.4, head_y + head_r * 0.6, cx + head_r * 0.4, s * 0.8), fill=skin
    )
    draw.polygon(
        [(cx - head_r * 0.55, s * 0.745), (cx, s * 0.84), (cx + head_r * 0.55, s * 0.745)],
        fill=_mix(skin, (0, 0, 0), 0.08),
    )
    # Head.
    draw.ellipse(
        (cx - head_r * 0.92, head_y - head_r, cx + head_r * 0.92, head_y + head_r * 1.12),
        fill=skin,
    )
    # Hair: short, a bun, long (its front), or cropped close.
    top = (cx - head_r * 1.0, head_y - head_r * 1.12, cx + head_r * 1.0, head_y + head_r * 0.3)
    if style in (0, 2):
        draw.chord(top, 180, 360, fill=hair)
        draw.rectangle((top[0], head_y - head_r * 0.45, top[0] + head_r * 0.28, head_y), fill=hair)
        draw.rectangle((top[2] - head_r * 0.28, head_y - head_r * 0.45, top[2], head_y), fill=hair)
    elif style == 1:
        draw.chord(top, 180, 360, fill=hair)
        draw.ellipse(
            (
                cx - head_r * 0.45,
                head_y - head_r * 1.75,
                cx + head_r * 0.45,
                head_y - head_r * 0.85,
            ),
            fill=hair,
        )
    else:
        draw.chord(
            (top[0] + head_r * 0.1, top[1] + head_r * 0.1, top[2] - head_r * 0.1, top[3]),
            190,
            350,
            fill=hair,
        )
    # Eyes, and glasses for some.
    eye_y, eye_dx = head_y + head_r * 0.12, head_r * 0.38
    ink = _mix(hair, (0, 0, 0), 0.5)
    glasses = rng.random() < 0.35 or variant % 5 == 0
    for side in (-1, 1):
        ex = cx + side * eye_dx
        draw.ellipse(
            (ex - s * 0.009, eye_y - s * 0.009, ex + s * 0.009, eye_y + s * 0.009), fill=ink
        )
        if glasses:
            r = head_r * 0.26
            draw.ellipse(
                (ex - r, eye_y - r, ex + r, eye_y + r), outline=ink, width=max(2, s // 160)
            )
    draw.arc(
        (cx - head_r * 0.28, head_y + head_r * 0.35, cx + head_r * 0.28, head_y + head_r * 0.7),
        20,
        160,
        fill=_mix(skin, (120, 40, 40), 0.45),
        width=max(2, s // 200),
    )
    image.alpha_composite(figure.reduce(2))
    image = Image.blend(image, _grain().resize((size, size)), 0.03)
    return _jpeg(image)


def sketch_name(index: int) -> str:
    return f"demo/lots/sketch-{index % SKETCHES:02d}.jpg"


SKETCHES = 8


def render_sketch(index: int) -> bytes:
    """A designer's sheet of sketches for a lot of manuscripts and prototypes: pencil
    curves, a construction circle and dimension lines on squared paper, 800×800."""
    rng = random.Random(f"sketch/{index}")
    s = SIZE * 2
    paper = (244, 239, 226)
    image = Image.new("RGB", (s, s), paper)
    draw = ImageDraw.Draw(image)
    grid = _mix(paper, (120, 150, 170), 0.25)
    for x in range(0, s, s // 20):
        draw.line((x, 0, x, s), fill=grid, width=2)
        draw.line((0, x, s, x), fill=grid, width=2)
    pencil = (70, 68, 66)
    cx, cy = rng.randint(s * 2 // 5, s * 3 // 5), rng.randint(s * 2 // 5, s // 2)
    r = rng.randint(s // 6, s // 4)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=_mix(pencil, paper, 0.55), width=3)
    for _ in range(rng.randint(6, 10)):  # the object's outline, drawn over and over
        w, h = rng.uniform(0.5, 1.2) * r, rng.uniform(0.8, 1.6) * r
        dx, dy = rng.uniform(-0.1, 0.1) * r, rng.uniform(-0.1, 0.3) * r
        start = rng.randint(0, 360)
        draw.arc(
            (cx - w + dx, cy - h + dy, cx + w + dx, cy + h + dy),
            start,
            start + rng.randint(120, 300),
            fill=pencil,
            width=rng.randint(3, 6),
        )
    base = cy + int(r * 1.7)
    draw.line((cx - r * 1.4, base, cx + r * 1.4, base), fill=pencil, width=4)
    for x in (cx - r, cx + r):  # a dimension line with its ticks
        draw.line((x, base + s // 30, x, base + s // 15), fill=pencil, width=3)
    draw.line((cx - r, base + s // 20, cx + r, base + s // 20), fill=pencil, width=3)
    for _ in range(rng.randint(3, 6)):  # notes in the margin
        y = rng.randint(s // 10, s * 9 // 10)
        x = rng.choice((s // 16, s * 3 // 4))
        draw.line(
            (x, y, x + rng.randint(s // 10, s // 5), y), fill=_mix(pencil, paper, 0.3), width=4
        )
    return _jpeg(image.reduce(2))


def _save_missing(items: Iterable[tuple[str, Callable[[], bytes]]]) -> int:
    written = 0
    for name, render in items:
        if default_storage.exists(name):
            continue
        default_storage.save(name, ContentFile(render()))
        written += 1
    return written


def ensure_product_images() -> int:
    """Draw whatever is missing of the product picture pool; returns how many were drawn."""
    return _save_missing(
        (product_image_name(top.slug, i), lambda top=top, i=i: render_product_image(top, i))
        for top in data.CATEGORIES
        for i in range(POOL_PER_CATEGORY)
    )


def ensure_portraits(portraits: Iterable[tuple[str, int]]) -> int:
    """Draw the missing portraits for these (initials, colour) pairs."""
    looks = sorted({(colour, portrait_variant(initials)) for initials, colour in portraits})
    return _save_missing(
        (
            portrait_name_of(colour, variant),
            lambda c=colour, v=variant: render_portrait(c, v),
        )
        for colour, variant in looks
    )


def portrait_name_of(colour: int, variant: int) -> str:
    return f"demo/designers/portrait-{colour}-{variant:02d}.jpg"


def ensure_sketches() -> int:
    """Draw the missing sketch sheets of the auction's manuscript lots."""
    return _save_missing((sketch_name(i), lambda i=i: render_sketch(i)) for i in range(SKETCHES))
