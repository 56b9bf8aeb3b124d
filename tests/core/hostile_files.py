"""The hostile files every upload path is walked with (issue 11, item 6), and a few
pictures to build them from. Each entry: a file name and content type a client would
send (both lies where it matters), the bytes, and what intake must do with it: the code
of its refusal, or None when the picture is taken (re-encoded under a safe name)."""

from __future__ import annotations

import functools
import io
import random
import struct
import zlib
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

SCRIPT = b"<script>alert(document.cookie)</script>"


def picture(fmt: str = "PNG", size=(48, 32), mode: str = "RGB", **options) -> bytes:
    image = Image.new(mode, size, (181, 101, 29) if mode == "RGB" else None)
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def noisy_jpeg(size=(256, 256)) -> bytes:
    """A JPEG whose entropy-coded data is most of the file (noise does not compress)."""
    rng = random.Random(11)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def blank_png(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` × ``height`` black pixels: a few kilobytes that decode
    to any number of pixels (built row by row, never held as an image)."""
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class Hostile:
    key: str
    name: str
    content_type: str
    build: object  # () -> bytes
    refused: str | None  # error code, or None: taken and re-encoded

    @property
    def data(self) -> bytes:
        return self.build()

    def upload(self) -> SimpleUploadedFile:
        return SimpleUploadedFile(self.name, self.data, content_type=self.content_type)


HOSTILE = [
    Hostile(
        "png_with_script_named_html", "x.html", "text/html", lambda: picture("PNG") + SCRIPT, None
    ),
    Hostile(
        "jpeg_with_script_comment_named_svg",
        "x.svg",
        "image/svg+xml",
        lambda: picture("JPEG", comment=SCRIPT),
        None,
    ),
    Hostile(
        "svg",
        "logo.svg",
        "image/svg+xml",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image_format_not_allowed",
    ),
    Hostile(
        "html_as_png",
        "photo.png",
        "image/png",
        lambda: b"<!doctype html><html><body>" + SCRIPT + b"</body></html>",
        "invalid_image",
    ),
    Hostile(
        "decompression_bomb",
        "bomb.png",
        "image/png",
        lambda: blank_png(20_000, 20_000),  # 400 megapixels in ~50 KB
        "image_too_large",
    ),
    Hostile(
        "144_megapixels",
        "poster.png",
        "image/png",
        lambda: blank_png(12_000, 12_000),
        "image_too_large",
    ),
    Hostile(
        "truncated_jpeg",
        "cut.jpg",
        "image/jpeg",
        lambda: noisy_jpeg()[: len(noisy_jpeg()) // 2],
        "invalid_image",
    ),
    Hostile(
        "truncated_png",
        "cut.png",
        "image/png",
        lambda: picture("PNG", (300, 300))[:60],
        "invalid_image",
    ),
    Hostile("gif", "anim.gif", "image/gif", lambda: picture("GIF"), "image_format_not_allowed"),
]
HOSTILE_IDS = [h.key for h in HOSTILE]
