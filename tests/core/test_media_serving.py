"""Stored media are served only as images, never as a page (core.media)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.core.hostile_files import SCRIPT, picture


@pytest.fixture
def stored(settings):
    """``stored(name, data)``: a file in the media folder, as older versions could leave."""

    def put(name: str, data: bytes) -> str:
        path = settings.MEDIA_ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return f"/media/{name}"

    return put


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("a.png", "image/png"),
        ("b.JPG", "image/jpeg"),
        ("c.webp", "image/webp"),
        ("d.gif", "image/gif"),
    ],
)
def test_images_are_served_with_their_type_and_nosniff(client, stored, name, content_type):
    response = client.get(stored(f"products/{name}", picture("PNG")))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert not response.get("Content-Disposition", "").startswith("attachment")


@pytest.mark.parametrize("name", ["x.html", "x.htm", "x.svg", "x.xml", "x.js", "x", "x.png.html"])
def test_anything_else_is_a_download_that_can_never_be_html(client, stored, name):
    response = client.get(stored(f"products/{name}", picture("PNG") + SCRIPT))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_compressed_name_is_not_sent_as_an_encoding_the_browser_unpacks(client, stored):
    response = client.get(stored("products/page.html.gz", b"\x1f\x8b" + SCRIPT))
    assert response["Content-Type"] == "application/octet-stream"
    assert "Content-Encoding" not in response


@pytest.mark.django_db
def test_a_missing_file_is_404_and_a_path_outside_the_media_400(stored):
    client = Client(raise_request_exception=False)
    stored("products/a.png", picture("PNG"))
    assert client.get("/media/products/none.png").status_code == 404
    assert client.get("/media/products/").status_code == 404
    assert client.get("/media/../settings.py").status_code == 400


def test_media_are_only_read(client, stored):
    url = stored("products/a.png", picture("PNG"))
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405
