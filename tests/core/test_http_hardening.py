"""HTTP hardening of the pages: the Content-Security-Policy, HTTPS, and bodies that cannot be
read. (The API's side of these is in tests/api/test_framework.py.)"""

import pytest
from django.test import Client

from tests.events.checkin_kit import make_staff
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


# --- Content-Security-Policy ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/search?q=chair", "/login/", "/events/", "/api/v1/docs"])
def test_every_page_carries_a_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    directives = _directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]


def test_the_policy_allows_no_inline_script(client):
    scripts = _directives(client.get("/"))["script-src"]
    assert "'self'" in scripts
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts


def test_errors_carry_the_policy_too(client):
    assert "Content-Security-Policy" in client.get("/no-such-page/")
    assert "Content-Security-Policy" in client.get("/api/v1/nothing-here")


def test_no_template_holds_an_inline_script():
    """Inline scripts would need 'unsafe-inline' (or a nonce, which a cached page cannot
    keep): every script of ours is a file under static/."""
    from pathlib import Path

    import designmall

    root = Path(designmall.__file__).parent
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        text = template.read_text()
        for start in range(len(text)):
            start = text.find("<script", start)
            if start < 0:
                break
            tag = text[start : text.index(">", start) + 1]
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{template.relative_to(root)}: {tag}")
            start += 1
    assert offenders == []


def test_an_inline_style_element_carries_the_requests_nonce(client):
    staff = make_staff("检票员")
    client.force_login(staff)
    response = client.get("/scanner/")
    assert response.status_code == 200
    html = response.content.decode()
    nonce = html.split('<style nonce="', 1)[1].split('"', 1)[0]
    assert f"'nonce-{nonce}'" in _directives(response)["style-src-elem"]
    assert nonce not in client.get("/scanner/").content.decode()  # one per response


# --- bodies that cannot be read ------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "b" * 250,
    ],
)
@pytest.mark.parametrize("path", ["/login/", "/cart/add/"])
def test_a_form_post_without_a_usable_boundary_is_a_400_page(path, content_type):
    client = Client(raise_request_exception=False)
    response = client.generic("POST", path, b"--x\r\n\r\n--x--", content_type=content_type)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "400" in response.content.decode()


def test_a_signed_in_form_post_with_a_broken_part_is_a_400_page():
    client = Client(raise_request_exception=False)
    client.force_login(make_user())
    body = (
        b'--abc\r\nContent-Disposition: form-data; name="photo"; filename="a.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!\r\n--abc--\r\n"
    )
    response = client.generic(
        "POST", "/cart/add/", body, content_type="multipart/form-data; boundary=abc"
    )
    assert response.status_code == 400
