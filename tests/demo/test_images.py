"""Demo pictures: drawn locally, the right size, written once."""

import io

from django.core.files.storage import default_storage
from PIL import Image

from designmall.demo import data, images

# The real drawing functions (the demo tests' fixture swaps in stand-ins for speed).
from designmall.demo.images import (
    render_portrait,
    render_product_image,
    render_sketch,
    sketch_name,
)


def test_a_product_picture_is_an_800px_square_jpeg():
    picture = Image.open(io.BytesIO(render_product_image(data.CATEGORIES[0], 0)))
    assert (picture.format, picture.size) == ("JPEG", (800, 800))


def test_every_category_has_a_motif_and_its_pictures_differ():
    for top in data.CATEGORIES:
        assert top.slug in images.MOTIFS
    ceramics = data.CATEGORIES[2]
    assert render_product_image(ceramics, 1) != render_product_image(ceramics, 2)


def test_a_picture_is_the_same_every_time_it_is_drawn():
    lighting = data.CATEGORIES[1]
    assert render_product_image(lighting, 3) == render_product_image(lighting, 3)


def test_a_portrait_is_a_square_jpeg():
    portrait = Image.open(io.BytesIO(render_portrait(3, 7)))
    assert (portrait.format, portrait.size) == ("JPEG", (400, 400))


def test_the_picture_pool_is_drawn_only_where_files_are_missing():
    images.ensure_product_images()
    default_storage.delete(images.product_image_name("glass", 0))
    assert images.ensure_product_images() == 1
    assert images.ensure_product_images() == 0


def test_a_portrait_is_a_drawn_figure_not_letters_and_looks_vary():
    from designmall.demo.images import portrait_name, portrait_variant

    one = Image.open(io.BytesIO(render_portrait(3, 7))).convert("RGB")
    # Many colours (skin, hair, clothes, a gradient), not two (letters on a flat colour).
    assert len(one.getcolors(400 * 400) or []) > 200
    assert render_portrait(3, 7) == render_portrait(3, 7)
    assert render_portrait(3, 7) != render_portrait(3, 8)
    assert portrait_name("LX", 3) == f"demo/designers/portrait-3-{portrait_variant('LX'):02d}.jpg"
    assert len({portrait_variant(f"{a}{b}") for a in "ABCDEFG" for b in "HIJKLMN"}) > 20


def test_a_lot_sketch_is_a_square_jpeg():
    sketch = Image.open(io.BytesIO(render_sketch(2)))
    assert (sketch.format, sketch.size) == ("JPEG", (800, 800))
    assert sketch_name(10) == "demo/lots/sketch-02.jpg"
