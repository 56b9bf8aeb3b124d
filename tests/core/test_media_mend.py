"""``designmall media_mend``: files stored before image intake are checked and mended."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from designmall.auctions.models import LotImage
from designmall.catalog.models import ProductImage
from designmall.core.audit import audit_trail
from designmall.core.images import stored_image_is_clean
from designmall.core.mediamend import media_mend
from tests.core.hostile_files import SCRIPT, picture
from tests.factories import make_designer, make_lot, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_QUARANTINE_ROOT = tmp_path / "quarantine"

    class Media:
        root = settings.MEDIA_ROOT
        quarantine = settings.MEDIA_QUARANTINE_ROOT

        def put(self, name: str, data: bytes) -> str:
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return name

        def read(self, name: str) -> bytes:
            return (self.root / name).read_bytes()

        def exists(self, name: str) -> bool:
            return (self.root / name).exists()

    return Media()


def image_row(name: str, product=None) -> ProductImage:
    return ProductImage.objects.create(product=product or make_product(), image=name)


def test_a_png_named_html_is_reencoded_under_a_proper_name_and_the_original_quarantined(media):
    row = image_row(media.put("products/2025/05/x.html", picture("PNG") + SCRIPT))
    report = media_mend()
    row.refresh_from_db()
    name = row.image.name
    assert name.startswith("products/2025/05/") and name.endswith(".png")
    assert stored_image_is_clean(name, media.read(name), max_pixels=10**8)
    assert SCRIPT not in media.read(name)
    assert not media.exists("products/2025/05/x.html")
    assert (media.quarantine / "products/2025/05/x.html").read_bytes().endswith(SCRIPT)
    assert (report.reencoded, report.rows_updated) == (1, 1)
    (event,) = audit_trail(row).filter(action="media.reencoded")
    assert event.data == {"field": "image", "from": "products/2025/05/x.html", "to": name}


def test_a_jpeg_with_exif_is_reencoded_without_it(media):
    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {1: "N"}  # a GPS block: where the seller's studio is
    row = image_row(media.put("products/a.jpg", picture("JPEG", exif=exif.tobytes())))
    media_mend()
    row.refresh_from_db()
    assert row.image.name != "products/a.jpg" and row.image.name.endswith(".jpg")
    with Image.open(io.BytesIO(media.read(row.image.name))) as stored:
        assert not stored.getexif()


def test_a_gif_from_before_becomes_a_png(media):
    row = image_row(media.put("products/anim.gif", picture("GIF")))
    media_mend()
    row.refresh_from_db()
    assert row.image.name.endswith(".png")
    assert media.read(row.image.name).startswith(b"\x89PNG")


def test_what_is_not_an_image_is_quarantined_and_its_rows_lose_it(media):
    product_image = image_row(media.put("products/page.png", b"<html>" + SCRIPT))
    lot_image = LotImage.objects.create(
        lot=make_lot(), image=media.put("auctions/x.svg", b"<svg/>")
    )
    designer = make_designer(portrait=media.put("designers/me.svg", b"<svg><script/></svg>"))
    report = media_mend()
    assert not ProductImage.objects.filter(pk=product_image.pk).exists()
    assert not LotImage.objects.filter(pk=lot_image.pk).exists()
    designer.refresh_from_db()
    assert designer.portrait.name == ""
    assert designer.name_zh  # the designer stays, only the portrait goes
    for name in ("products/page.png", "auctions/x.svg", "designers/me.svg"):
        assert not media.exists(name)
        assert (media.quarantine / name).exists()
    assert (report.quarantined, report.rows_deleted, report.rows_emptied) == (3, 2, 1)
    removed = audit_trail(designer).get(action="media.removed")
    assert removed.reason == "image_format_not_allowed"
    assert removed.data == {"field": "portrait", "file": "designers/me.svg"}


def test_an_image_over_the_pixel_limit_is_quarantined(media, settings):
    settings.IMAGE_MAX_PIXELS = 100
    row = image_row(media.put("products/big.png", picture("PNG")))
    assert media_mend().quarantined == 1
    assert not ProductImage.objects.filter(pk=row.pk).exists()


def test_clean_files_are_left_alone(media):
    name = media.put("demo/products/chairs-01.jpg", picture("JPEG"))
    rows = [image_row(name), image_row(name)]
    report = media_mend()
    assert (report.files, report.clean, report.reencoded) == (1, 1, 0)
    assert [ProductImage.objects.get(pk=r.pk).image.name for r in rows] == [name, name]


def test_one_file_named_by_many_rows_is_mended_once_for_all_of_them(media):
    name = media.put("products/shared.html", picture("PNG") + SCRIPT)
    rows = [image_row(name), image_row(name)]
    designer = make_designer(portrait=name)
    report = media_mend()
    names = {ProductImage.objects.get(pk=r.pk).image.name for r in rows}
    designer.refresh_from_db()
    assert len(names) == 1 and names == {designer.portrait.name}
    assert (report.reencoded, report.rows_updated) == (1, 3)


def test_stray_files_no_row_names_are_checked_too(media):
    media.put("products/old/x.html", b"<html>" + SCRIPT)
    clean = media.put("demo/products/lamps-03.jpg", picture("JPEG"))
    report = media_mend()
    assert not media.exists("products/old/x.html")
    assert (media.quarantine / "products/old/x.html").exists()
    assert media.exists(clean)
    assert (report.quarantined, report.clean) == (1, 1)


def test_a_row_whose_file_is_missing_is_reported_and_kept(media):
    row = image_row("products/gone.png")
    report = media_mend()
    assert report.missing == 1
    assert "missing: products/gone.png" in report.lines
    assert ProductImage.objects.get(pk=row.pk).image.name == "products/gone.png"


def test_running_it_twice_is_harmless(media):
    rows = [
        image_row(media.put("products/x.html", picture("PNG") + SCRIPT)),
        image_row(media.put("products/a.jpg", picture("JPEG", comment=b"hi"))),
        image_row(media.put("products/b.webp", picture("WEBP") + b"junk")),
        image_row(media.put("products/page.png", b"<html>")),
    ]
    first = media_mend()
    assert first.changed
    after_first = {p.pk: p.image.name for p in ProductImage.objects.all()}
    files_after_first = sorted(p.name for p in media.root.rglob("*") if p.is_file())
    quarantined = sorted(p.name for p in media.quarantine.rglob("*"))
    second = media_mend()
    assert not second.changed
    assert second.clean == second.files == 3
    assert {p.pk: p.image.name for p in ProductImage.objects.all()} == after_first
    assert sorted(p.name for p in media.root.rglob("*") if p.is_file()) == files_after_first
    assert sorted(p.name for p in media.quarantine.rglob("*")) == quarantined
    assert len(after_first) == len(rows) - 1


def test_a_dry_run_changes_nothing(media):
    row = image_row(media.put("products/x.html", picture("PNG") + SCRIPT))
    bad = image_row(media.put("products/page.png", b"<html>"))
    report = media_mend(dry_run=True)
    assert (report.reencoded, report.quarantined) == (1, 1)
    assert ProductImage.objects.get(pk=row.pk).image.name == "products/x.html"
    assert ProductImage.objects.filter(pk=bad.pk).exists()
    assert media.exists("products/x.html") and media.exists("products/page.png")
    assert not media.quarantine.exists()


def test_the_command_prints_what_it_did(media, capsys):
    image_row(media.put("products/x.html", picture("PNG") + SCRIPT))
    call_command("media_mend")
    out = capsys.readouterr().out
    assert "re-encoded: products/x.html -> products/" in out
    assert "1 files: 0 clean, 1 re-encoded, 0 quarantined, 0 missing" in out
    call_command("media_mend")
    assert "1 files: 1 clean, 0 re-encoded" in capsys.readouterr().out


def test_a_quarantined_name_that_is_taken_is_not_overwritten(media):
    media.quarantine.joinpath("products").mkdir(parents=True)
    media.quarantine.joinpath("products/x.svg").write_bytes(b"earlier")
    media.put("products/x.svg", b"<svg/>")
    media_mend()
    assert media.quarantine.joinpath("products/x.svg").read_bytes() == b"earlier"
    assert media.quarantine.joinpath("products/x.svg.1").read_bytes() == b"<svg/>"
