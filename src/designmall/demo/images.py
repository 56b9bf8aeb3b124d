"""Demo pictures drawn locally with Pillow: no network, no stock photos.

A small pool of abstract still lifes per top category (a gradient backdrop, a
ground line, a soft shadow and a simple object motif in the category's palette)
is written once to the default storage under ``demo/``; many products share a
picture. Designer portraits are initials on a colour. Each file's content
follows from its name alone, so an existing file is never drawn again.
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Callable, Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFilter, ImageFont

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
    return f"demo/designers/{initials}-{colour}.jpg"


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


def render_portrait(initials: str, colour: int) -> bytes:
    """Initials in white on one of the portrait colours, 400×400."""
    background = _rgb(PORTRAIT_COLOURS[colour % len(PORTRAIT_COLOURS)])
    image = Image.new("RGB", (PORTRAIT_SIZE, PORTRAIT_SIZE), background)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=PORTRAIT_SIZE * 2 // 5)
    centre = PORTRAIT_SIZE / 2
    draw.text((centre, centre), initials, fill=(255, 255, 255), font=font, anchor="mm")
    return _jpeg(image)


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
    return _save_missing(
        (portrait_name(initials, colour), lambda i=initials, c=colour: render_portrait(i, c))
        for initials, colour in sorted(set(portraits))
    )
