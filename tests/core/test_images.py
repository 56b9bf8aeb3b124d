"""Image intake (core.images): what is taken, what is refused, what is kept of a picture."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image, ImageCms

from designmall.catalog.models import Designer
from designmall.core.fields import SafeImageFormField
from designmall.core.images import (
    ImageRefused,
    intake_image,
    served_type,
    stored_image_is_clean,
)
from tests.core.hostile_files import HOSTILE, HOSTILE_IDS, SCRIPT, blank_png, picture
from tests.factories import make_designer


def refusal(data, **limits) -> ImageRefused:
    with pytest.raises(ImageRefused) as caught:
        intake_image(data, **limits)
    assert caught.value.status == 422
    return caught.value


@pytest.mark.parametrize("hostile", HOSTILE, ids=HOSTILE_IDS)
def test_each_hostile_file_is_refused_with_its_code_or_taken_clean(hostile):
    if hostile.refused:
        assert refusal(hostile.data).code == hostile.refused
    else:
        clean = intake_image(hostile.upload())
        assert SCRIPT not in clean.content
        assert stored_image_is_clean(clean.as_file().name, clean.content, max_pixels=10**8)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_format_comes_from_the_content_not_the_name_or_type(fmt):
    upload = SimpleUploadedFile("page.html", picture(fmt), content_type="text/html")
    clean = intake_image(upload)
    assert clean.format == fmt
    name = clean.as_file().name
    assert name.endswith({"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}[fmt])
    assert len(name.split(".")[0]) == 32
    assert clean.as_file().name != name  # a new random name each time


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [
        ("JPEG", "RGB"),
        ("JPEG", "L"),
        ("JPEG", "CMYK"),
        ("PNG", "RGBA"),
        ("PNG", "P"),
        ("PNG", "LA"),
        ("PNG", "1"),
        ("PNG", "I;16"),
        ("WEBP", "RGB"),
        ("WEBP", "RGBA"),
    ],
)
def test_what_intake_stores_is_always_clean(fmt, mode):
    clean = intake_image(picture(fmt, mode=mode))
    assert clean.format == fmt
    assert stored_image_is_clean(clean.as_file().name, clean.content, max_pixels=10**8)


def test_data_after_the_image_is_dropped():
    for fmt in ("JPEG", "PNG", "WEBP"):
        data = picture(fmt) + SCRIPT
        assert not stored_image_is_clean(f"a.{fmt.lower()}", data, max_pixels=10**8)
        assert SCRIPT not in intake_image(data).content


def test_metadata_is_dropped_and_the_orientation_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise
    exif[0x010F] = "Camera <script>"
    source = picture("JPEG", size=(60, 20), exif=exif.tobytes(), comment=b"hello")
    clean = intake_image(source)
    assert (clean.width, clean.height) == (20, 60)
    with Image.open(io.BytesIO(clean.content)) as stored:
        assert stored.size == (20, 60)
        assert not stored.getexif()
        assert "comment" not in stored.info
    assert b"<script>" not in clean.content


def test_text_chunks_of_a_png_are_dropped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    clean = intake_image(picture("PNG", pnginfo=info))
    assert b"<script>" not in clean.content


def test_the_colour_profile_is_kept():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for fmt in ("JPEG", "PNG", "WEBP"):
        clean = intake_image(picture(fmt, icc_profile=profile))
        with Image.open(io.BytesIO(clean.content)) as stored:
            assert stored.info.get("icc_profile") == profile


def test_a_lossless_webp_stays_lossless():
    image = Image.new("RGB", (16, 16))
    image.putpixel((3, 3), (255, 0, 0))
    out = io.BytesIO()
    image.save(out, "WEBP", lossless=True)
    clean = intake_image(out.getvalue())
    with Image.open(io.BytesIO(clean.content)) as stored:
        assert stored.convert("RGB").getpixel((3, 3)) == (255, 0, 0)


def test_the_byte_limit_is_checked_before_decoding(settings):
    settings.MAX_IMAGE_BYTES = 1024 * 1024
    big = SimpleUploadedFile("a.png", b"\x89PNG" + b"\x00" * (1024 * 1024), "image/png")
    refused = refusal(big)
    assert refused.code == "image_too_large"
    assert refused.details == {"max_bytes": 1024 * 1024}
    assert "1 MB" in refused.message
    assert refusal(b"x" * 3_000_000, max_bytes=2_621_440).message.endswith("2.5 MB。")


def test_the_pixel_limit_is_a_setting(settings):
    settings.IMAGE_MAX_PIXELS = 1_000_000
    intake_image(blank_png(1000, 1000))
    refused = refusal(blank_png(1001, 1000))
    assert refused.code == "image_too_large"
    assert refused.details == {"max_pixels": 1_000_000, "width": 1001, "height": 1000}


def test_the_default_pixel_limit_takes_40_megapixels_but_not_144(settings):
    assert settings.IMAGE_MAX_PIXELS == 40_000_000
    assert refusal(blank_png(12_000, 12_000)).code == "image_too_large"


def test_a_decompression_bomb_beyond_pillows_own_limit_is_the_same_refusal(settings):
    settings.IMAGE_MAX_PIXELS = 10**12  # even with no limit of ours, Pillow's guard holds
    refused = refusal(blank_png(20_000, 20_000))
    assert refused.code == "image_too_large"


def test_refusals_read_in_english_too(settings):
    settings.IMAGE_MAX_PIXELS = 2_500_000
    with translation.override("en"):
        assert refusal(b"<html>").message == "This file is not an image we can read."
        assert refusal(picture("GIF")).message == "Only JPEG, PNG and WebP images are accepted."
        assert refusal(blank_png(2000, 2000)).message == (
            "The image is too large: at most 2.5 megapixels."
        )
        assert refusal(b"x" * 10, max_bytes=5).message == (
            "The image file is too large: at most 1 KB."
        )


def test_a_multi_picture_jpeg_from_a_phone_is_taken_as_its_first_picture():
    out = io.BytesIO()
    first, second = Image.new("RGB", (10, 10), "blue"), Image.new("RGB", (10, 10), "red")
    first.save(out, "MPO", save_all=True, append_images=[second])
    assert not stored_image_is_clean("a.jpg", out.getvalue(), max_pixels=10**8)
    clean = intake_image(out.getvalue())
    assert clean.format == "JPEG"
    assert stored_image_is_clean(clean.as_file().name, clean.content, max_pixels=10**8)
    with Image.open(io.BytesIO(clean.content)) as stored:
        assert stored.format == "JPEG"
        assert stored.getpixel((5, 5))[2] > 200  # blue: the first picture


def test_unreadable_exif_does_not_stop_an_image():
    exif = Image.Exif()
    exif[0x0112] = 6
    data = bytearray(picture("JPEG", exif=exif.tobytes()))
    at = data.index(b"Exif\x00\x00") + 6
    data[at : at + 8] = b"XX\x00\x2a\xff\xff\xff\xff"  # a byte order that is neither
    clean = intake_image(bytes(data))
    assert clean.format == "JPEG"


def test_other_formats_can_be_converted_to_png_when_asked():
    clean = intake_image(picture("GIF"), convert_to_png=("GIF",))
    assert clean.format == "PNG"


def test_a_jpeg_with_a_comment_or_exif_is_not_clean_as_stored():
    exif = Image.Exif()
    exif[0x010F] = "Camera"
    assert not stored_image_is_clean("a.jpg", picture("JPEG", comment=b"x"), max_pixels=10**8)
    assert not stored_image_is_clean(
        "a.jpg", picture("JPEG", exif=exif.tobytes()), max_pixels=10**8
    )
    assert stored_image_is_clean("a.jpg", picture("JPEG"), max_pixels=10**8)
    assert stored_image_is_clean("a.jpeg", picture("JPEG", progressive=True), max_pixels=10**8)


def test_a_stored_name_must_match_the_format():
    assert not stored_image_is_clean("a.html", picture("PNG"), max_pixels=10**8)
    assert not stored_image_is_clean("a.jpg", picture("PNG"), max_pixels=10**8)
    assert not stored_image_is_clean("png", picture("PNG"), max_pixels=10**8)


def test_only_image_types_are_served_inline():
    assert served_type("products/a.png") == "image/png"
    assert served_type("products/a.JPG") == "image/jpeg"
    assert served_type("a.webp") == "image/webp"
    assert served_type("a.gif") == "image/gif"
    for name in ("a.html", "a.svg", "a.png.html", "a", "a.htm", "x.png/", "a.xml", "a.js"):
        assert served_type(name) is None


# --- the model field and its form field ---------------------------------------------------


@pytest.mark.django_db
def test_a_file_assigned_to_an_image_field_is_stored_through_intake(settings):
    designer = make_designer()
    designer.portrait = ContentFile(picture("PNG") + SCRIPT, name="evil.html")
    designer.save()
    name = Designer.objects.get(pk=designer.pk).portrait.name
    assert name.startswith("designers/") and name.endswith(".png")
    assert SCRIPT not in (settings.MEDIA_ROOT / name).read_bytes()


@pytest.mark.django_db
def test_an_image_field_refuses_to_store_what_intake_refuses():
    designer = make_designer()
    designer.portrait = ContentFile(b"<svg><script/></svg>", name="a.svg")
    with pytest.raises(ImageRefused):
        designer.save()


def test_the_form_field_gives_intakes_refusal_as_a_form_error():
    from django import forms

    field = SafeImageFormField()
    with pytest.raises(forms.ValidationError) as caught:
        field.clean(SimpleUploadedFile("a.gif", picture("GIF"), "image/gif"))
    assert caught.value.code == "image_format_not_allowed"
    cleaned = field.clean(SimpleUploadedFile("a.html", picture("PNG") + SCRIPT, "text/html"))
    assert cleaned.name.endswith(".png") and SCRIPT not in cleaned.read()
    assert "image/png" in field.widget_attrs(forms.ClearableFileInput())["accept"]
