"""Image intake: the one way an uploaded picture becomes a stored file.

Every upload path (the seller center's pages and API, the back office's forms, and any
model field declared with ``SafeImageField``) goes through ``intake_image``. The rules:

- At most ``MAX_IMAGE_BYTES`` bytes, read before anything is decoded.
- The format is what Pillow detects in the bytes, never the file's name or the client's
  content type. Only JPEG, PNG and WebP are taken; other pictures (GIF, SVG, BMP, TIFF, ...)
  are refused as "format not allowed", anything else as "not an image".
- At most ``IMAGE_MAX_PIXELS`` pixels, checked on the declared size before the pixels are
  decoded; Pillow's own decompression-bomb guard gives the same refusal.
- The file is verified and fully decoded (a truncated or corrupt file is refused), then
  re-encoded in its own format: whatever followed the image data, and its metadata (EXIF,
  XMP, comments, text chunks), are gone; the EXIF orientation is applied to the pixels; the
  colour profile is kept. Only the first frame of an animation is kept.
- The stored name is chosen here (random, 32 hex digits) and its extension comes from the
  detected format, so a file can never be stored as ``x.html``.

Every refusal is an ``ImageRefused`` (a ``ValidationFailed``: 422 in the API's error shape, a
readable message on pages) with a stable code: ``image_too_large``, ``invalid_image`` or
``image_format_not_allowed``.

``stored_image_is_clean`` tells whether a file already stored is exactly what intake would
keep (used by ``designmall media_mend``); intake's own output always is.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from typing import IO

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from designmall.core.errors import ValidationFailed

# Detected format -> (extension, content type). The first extension is the one we write.
ALLOWED_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
# Extensions a stored file of each format may carry.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "JPEG": ("jpg", "jpeg"),
    "PNG": ("png",),
    "WEBP": ("webp",),
}
# Pictures we recognise in order to say "not allowed" rather than "not an image". They are
# only identified (header read), never decoded; EPS is left out (Pillow runs Ghostscript).
OTHER_PICTURE_FORMATS = ("GIF", "BMP", "TIFF", "ICO", "PPM", "TGA", "PSD", "JPEG2000", "AVIF")
# Formats ``media_mend`` converts to PNG rather than throw away: what older versions took.
CONVERTIBLE_FORMATS = ("GIF", "BMP", "TIFF")

JPEG_QUALITY = 90
WEBP_QUALITY = 90


class ImageRefused(ValidationFailed):
    code = "invalid_image"


def _too_large_bytes(max_bytes: int) -> ImageRefused:
    return ImageRefused(
        _("图片文件太大，不能超过 %(size)s。") % {"size": _size_text(max_bytes)},
        code="image_too_large",
        details={"max_bytes": max_bytes},
    )


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        mb = n / (1024 * 1024)
        return f"{mb:.0f} MB" if mb == int(mb) or mb >= 10 else f"{mb:.1f} MB"
    return f"{max(1, n // 1024)} KB"


def _too_large_pixels(max_pixels: int, size: tuple[int, int] | None) -> ImageRefused:
    details: dict[str, int] = {"max_pixels": max_pixels}
    if size:
        details |= {"width": size[0], "height": size[1]}
    return ImageRefused(
        _("图片尺寸太大，不能超过 %(mp)s 百万像素。") % {"mp": _megapixels(max_pixels)},
        code="image_too_large",
        details=details,
    )


def _invalid() -> ImageRefused:
    return ImageRefused(_("无法识别的图片文件。"), code="invalid_image")


def _format_not_allowed(detected: str | None) -> ImageRefused:
    return ImageRefused(
        _("只支持 JPEG、PNG、WebP 图片。"),
        code="image_format_not_allowed",
        details={"format": detected} if detected else None,
    )


def _megapixels(pixels: int) -> str:
    value = pixels / 1_000_000
    if value >= 10 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 1 else f"{value:.2g}"


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image, ready to store under ``name``."""

    content: bytes
    format: str  # "JPEG", "PNG" or "WEBP"
    width: int
    height: int

    @property
    def extension(self) -> str:
        return ALLOWED_FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        return ALLOWED_FORMATS[self.format][1]

    def as_file(self) -> CleanImageFile:
        return CleanImageFile(self.content, name=f"{secrets.token_hex(16)}.{self.extension}")


class CleanImageFile(ContentFile):
    """The output of intake: ``SafeImageField`` stores it as it is (no second intake)."""


# --- reading and decoding ------------------------------------------------------------------


def _read_limited(source: bytes | IO[bytes], max_bytes: int) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        size = getattr(source, "size", None)
        if isinstance(size, int) and size > max_bytes:
            raise _too_large_bytes(max_bytes)
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(max_bytes + 1)
        if hasattr(source, "seek"):
            source.seek(0)
    if len(data) > max_bytes:
        raise _too_large_bytes(max_bytes)
    return data


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise _invalid()
    if width * height > max_pixels:
        raise _too_large_pixels(max_pixels, size)


def _identify_other(data: bytes) -> str | None:
    """The name of a picture format we do not take, if ``data`` is one (header only)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in head):
        return "SVG"
    try:
        with Image.open(io.BytesIO(data), formats=OTHER_PICTURE_FORMATS) as probe:
            return probe.format
    except Exception:  # unknown bytes: not a picture we can name
        return None


def decode_image(data: bytes, *, max_pixels: int, formats=tuple(ALLOWED_FORMATS)) -> Image.Image:
    """The first frame of ``data``, verified and fully decoded, or ``ImageRefused``.

    Only ``formats`` are tried; the declared size is checked against ``max_pixels`` before
    any pixel is decoded."""
    try:
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            _check_pixels(probe.size, max_pixels)
            probe.verify()
        image = Image.open(io.BytesIO(data), formats=formats)
        _check_pixels(image.size, max_pixels)
        image.load()
        return image
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Declared far beyond Pillow's own limit: refused before we could read the size.
        raise _too_large_pixels(max_pixels, None) from None
    except UnidentifiedImageError:
        other = _identify_other(data)
        if other:
            raise _format_not_allowed(other) from None
        raise _invalid() from None
    except Exception:
        # Corrupt or truncated data makes Pillow's decoders raise OSError, SyntaxError,
        # ValueError, struct.error, EOFError, ...: all of them mean "not a valid image".
        raise _invalid() from None


# --- re-encoding ----------------------------------------------------------------------------


def _format_of(image: Image.Image) -> str:
    # A multi-picture JPEG (MPO, from phones and 3D cameras) is a JPEG: its first picture.
    return "JPEG" if image.format == "MPO" else image.format


def _encode(image: Image.Image, fmt: str, *, lossless: bool = False) -> CleanImage:
    """``image`` saved afresh as ``fmt``; anything Pillow cannot do with it is a refusal
    (``invalid_image``), never an error of ours."""
    try:
        return _save(image, fmt, lossless=lossless)
    except Exception:
        raise _invalid() from None


def _save(image: Image.Image, fmt: str, *, lossless: bool) -> CleanImage:
    icc_profile = image.info.get("icc_profile") or None
    transparency = image.info.get("transparency")
    # Orientation goes into the pixels; then no metadata is carried over (Pillow's savers
    # fall back to ``info`` for comments, EXIF, XMP and text).
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:
        image = image.copy()  # EXIF we cannot read: the pixels as they are
    if fmt == "JPEG":
        if image.mode not in ("L", "RGB"):
            if image.mode == "CMYK":
                icc_profile = None  # a CMYK profile does not describe the RGB pixels
            image = image.convert("RGB")
    elif fmt == "WEBP":
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    elif fmt == "PNG" and image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    image.info = {}
    options: dict = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if fmt == "JPEG":
        options |= {"quality": JPEG_QUALITY, "optimize": True}
    elif fmt == "WEBP":
        options |= {"lossless": True} if lossless else {"quality": WEBP_QUALITY}
    elif fmt == "PNG" and transparency is not None and image.mode in ("P", "L", "RGB"):
        options["transparency"] = transparency
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return CleanImage(content=out.getvalue(), format=fmt, width=image.width, height=image.height)


def intake_image(
    source: bytes | IO[bytes],
    *,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    convert_to_png: tuple[str, ...] = (),
) -> CleanImage:
    """The re-encoded image in ``source``, or ``ImageRefused`` (see the module's rules).

    ``convert_to_png`` names other formats to take and store as PNG (``media_mend`` uses it
    for pictures older versions accepted); uploads never pass it."""
    from django.conf import settings

    max_bytes = settings.MAX_IMAGE_BYTES if max_bytes is None else max_bytes
    max_pixels = settings.IMAGE_MAX_PIXELS if max_pixels is None else max_pixels
    data = _read_limited(source, max_bytes)
    try:
        image = decode_image(data, max_pixels=max_pixels)
    except ImageRefused as refused:
        if refused.code != "image_format_not_allowed" or not convert_to_png:
            raise
        with decode_image(data, max_pixels=max_pixels, formats=convert_to_png) as image:
            return _encode(image.convert("RGBA" if image.has_transparency_data else "RGB"), "PNG")
    with image:
        # A lossless WebP stays lossless; lossy pictures are re-encoded at high quality.
        lossless = image.format == "WEBP" and b"VP8L" in (_webp_chunks(data) or ())
        return _encode(image, _format_of(image), lossless=lossless)


# --- what a clean stored file looks like ------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks describing pixels and colour; anything else (text, EXIF, time, animation, private
# chunks) is metadata or trailing data that intake would have dropped.
_PNG_CHUNKS = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB"}
_PNG_CHUNKS |= {b"iCCP", b"pHYs", b"sBIT", b"bKGD"}
_WEBP_CHUNKS = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP"}


def _png_is_clean(data: bytes) -> bool:
    if not data.startswith(_PNG_SIGNATURE):
        return False
    at = len(_PNG_SIGNATURE)
    while at + 8 <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8]
        at += 12 + length
        if kind not in _PNG_CHUNKS or at > len(data):
            return False
        if kind == b"IEND":
            return at == len(data)
    return False


def _webp_chunks(data: bytes) -> list[bytes] | None:
    """The chunk names of a WebP file that holds nothing after its RIFF body, else None."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    if int.from_bytes(data[4:8], "little") + 8 != len(data):
        return None
    chunks, at = [], 12
    while at + 8 <= len(data):
        length = int.from_bytes(data[at + 4 : at + 8], "little")
        chunks.append(data[at : at + 4])
        at += 8 + length + (length & 1)
    return chunks if at == len(data) else None


def _webp_is_clean(data: bytes) -> bool:
    chunks = _webp_chunks(data)
    return bool(chunks) and set(chunks) <= _WEBP_CHUNKS


def _jpeg_is_clean(data: bytes) -> bool:
    """Markers walked from SOI to EOI: EOI is the last byte, and the only application
    segments are JFIF (APP0), a colour profile (APP2) and Adobe's colour transform (APP14);
    no comment (COM), EXIF or XMP (APP1) or other APPn."""
    if not data.startswith(b"\xff\xd8"):
        return False
    at, end = 2, len(data)
    while at < end:
        if data[at] != 0xFF:
            return False
        while at < end and data[at] == 0xFF:
            at += 1
        if at >= end:
            return False
        marker = data[at]
        at += 1
        if marker == 0xD9:  # EOI
            return at == end
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue  # no length
        if at + 2 > end:
            return False
        length = int.from_bytes(data[at : at + 2], "big")
        segment = data[at + 2 : at + length]
        if length < 2 or at + length > end:
            return False
        if marker == 0xFE or (0xE0 <= marker <= 0xEF and not _benign_app(marker, segment)):
            return False
        at += length
        if marker == 0xDA:  # entropy-coded data runs to the next marker that is not RSTn
            while True:
                found = data.find(b"\xff", at)
                if found < 0 or found + 1 >= end:
                    return False
                following = data[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    at = found + 2
                elif following == 0xFF:
                    at = found + 1
                else:
                    at = found
                    break
    return False


def _benign_app(marker: int, segment: bytes) -> bool:
    return (
        (marker == 0xE0 and segment.startswith(b"JFIF\x00"))
        or (marker == 0xE2 and segment.startswith(b"ICC_PROFILE\x00"))
        or (marker == 0xEE and segment.startswith(b"Adobe"))
    )


_CONTAINER_CHECKS = {"JPEG": _jpeg_is_clean, "PNG": _png_is_clean, "WEBP": _webp_is_clean}


def stored_image_is_clean(name: str, data: bytes, *, max_pixels: int) -> bool:
    """Whether a stored file needs nothing from ``media_mend``: an allowed format that
    decodes within the pixel limit, an extension that matches it, and nothing in the file
    beyond the pixels and their colour (no trailing data, no metadata)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    try:
        with decode_image(data, max_pixels=max_pixels) as image:
            fmt = _format_of(image)
    except ImageRefused:
        return False
    return extension in EXTENSIONS[fmt] and _CONTAINER_CHECKS[fmt](data)


# --- serving --------------------------------------------------------------------------------

# What stored media may be served as, by extension. GIF is still shown (files from older
# versions not yet mended); anything else is a download.
SERVED_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
}


def served_type(name: str) -> str | None:
    """The content type ``name`` is served with inline, or None (served as a download)."""
    base = name.rsplit("/", 1)[-1]
    if "." not in base:
        return None
    return SERVED_TYPES.get(base.rsplit(".", 1)[-1].lower())
