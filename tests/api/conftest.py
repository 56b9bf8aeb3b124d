"""Calling the API through its URLs, as a mobile app or the storefront's JS would."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from designmall.accounts.roles import Role
from designmall.accounts.services import api_token_create
from tests.factories import make_operator, make_shop, make_user

PREFIX = "/api/v1"
ABSENT_ID = "p_0000000000000000"  # well formed, never issued


class ApiClient:
    """JSON in, JSON out; ``token`` makes every call with ``Authorization: Bearer``."""

    def __init__(self, client: Client, token: str | None = None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: dict[str, Any] | None = None):
        return self.client.get(PREFIX + path, params or {}, headers=self.headers)

    def send(self, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None):
        data = raw if raw is not None else (b"" if body is None else json.dumps(body))
        return getattr(self.client, method)(
            PREFIX + path, data=data, content_type="application/json", headers=self.headers
        )

    def post(self, path: str, body: Any = None, **kw):
        return self.send("post", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw):
        return self.send("patch", path, body, **kw)

    def delete(self, path: str):
        return self.client.delete(PREFIX + path, headers=self.headers)

    def upload(self, path: str, files: dict[str, Any], data: dict[str, str] | None = None):
        return self.client.post(PREFIX + path, {**(data or {}), **files}, headers=self.headers)


def assert_error(response, status: int, code: str):
    """The one error shape, with this status and code; returns the error for more checks."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


def invalid_fields(response) -> set[str]:
    """The fields a 422 ``invalid`` error names."""
    error = assert_error(response, 422, "invalid")
    return {item["field"] for item in error["details"]}


def token_for(user) -> str:
    _token, raw = api_token_create(user=user, name="tests")
    return raw


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def anon(client) -> ApiClient:
    return ApiClient(client)


@pytest.fixture
def api_as(db):
    """``api_as(user)``: a client calling with a fresh token of that user."""

    def build(user) -> ApiClient:
        return ApiClient(Client(), token_for(user))

    return build


@pytest.fixture
def buyer(db):
    return make_user(role=Role.BUYER)


@pytest.fixture
def seller(db):
    """A seller with an approved shop."""
    user = make_user(role=Role.SELLER)
    make_shop(owner=user, country="CN")
    return user


@pytest.fixture
def operator(db):
    return make_operator()
