import contextlib
import functools
import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from PIL import Image

from designmall.core.models import Job
from designmall.demo import images
from designmall.demo.services import catalog_wipe

SMALL_CATALOG = 200
TEST_SEED = 7
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@functools.cache
def _tiny_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "tan").save(out, "JPEG")
    return out.getvalue()


@contextlib.contextmanager
def cheap_pictures():
    """Seeding draws stand-in pictures; test_images.py tests the real drawing."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(images, "render_product_image", lambda top, index: _tiny_jpeg())
        patch.setattr(images, "render_portrait", lambda colour, variant: _tiny_jpeg())
        patch.setattr(images, "render_sketch", lambda index: _tiny_jpeg())
        yield


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(autouse=True)
def _demo_test_setup(_isolated, settings, demo_media):
    """One media folder for the session's demo tests, and stand-in pictures."""
    settings.MEDIA_ROOT = demo_media
    with cheap_pictures():
        yield


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, demo_media):
    """A small demo catalog, seeded once for the module and wiped after it."""
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=demo_media, PASSWORD_HASHERS=FAST_HASHERS),
        cheap_pictures(),
    ):
        call_command("seed", products=SMALL_CATALOG, seed=TEST_SEED, verbosity=0)
        yield
        catalog_wipe()
        Job.objects.all().delete()  # what the seed queued, committed: not the next module's
