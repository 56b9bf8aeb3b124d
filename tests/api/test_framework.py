"""What holds for the whole API: the OpenAPI document and the one error shape."""

import json

import pytest
from django.db import IntegrityError
from django.test import Client

from designmall.catalog.models import Category
from tests.api.conftest import assert_error, invalid_fields

pytestmark = pytest.mark.django_db

EXPECTED_PATHS = {
    "/api/v1/orders/{public_id}/aftersales": {"post"},
    "/api/v1/aftersales": {"get"},
    "/api/v1/aftersales/{public_id}": {"get"},
    "/api/v1/aftersales/{public_id}/photos": {"post"},
    "/api/v1/aftersales/{public_id}/return": {"post"},
    "/api/v1/aftersales/{public_id}/escalate": {"post"},
    "/api/v1/aftersales/{public_id}/cancel": {"post"},
    "/api/v1/seller/aftersales": {"get"},
    "/api/v1/seller/aftersales/{public_id}": {"get"},
    "/api/v1/seller/aftersales/{public_id}/accept": {"post"},
    "/api/v1/seller/aftersales/{public_id}/refuse": {"post"},
    "/api/v1/seller/aftersales/{public_id}/return-received": {"post"},
    "/api/v1/operator/aftersales": {"get"},
    "/api/v1/operator/aftersales/{public_id}/decide": {"post"},
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/tokens": {"get", "post"},
    "/api/v1/auth/tokens/{public_id}": {"delete"},
    "/api/v1/me": {"get"},
    "/api/v1/me/addresses": {"get", "post"},
    "/api/v1/me/addresses/{public_id}": {"put", "delete"},
    "/api/v1/me/addresses/{public_id}/default": {"post"},
    "/api/v1/me/addresses/divisions": {"get"},
    "/api/v1/auth/password-reset": {"post"},
    "/api/v1/auth/password-reset/confirm": {"post"},
    "/api/v1/auth/logout-everywhere": {"post"},
    "/api/v1/auth/email-change/confirm": {"post"},
    "/api/v1/me/password": {"post"},
    "/api/v1/me/email": {"post"},
    "/api/v1/payments/{public_id}": {"get"},
    "/api/v1/payments/{public_id}/qr": {"post"},
    "/api/v1/products": {"get"},
    "/api/v1/products/{public_id}": {"get"},
    "/api/v1/categories": {"get"},
    "/api/v1/designers": {"get"},
    "/api/v1/designers/{public_id}": {"get"},
    "/api/v1/shops/{public_id}": {"get"},
    "/api/v1/seller/shop": {"get", "post"},
    "/api/v1/seller/settlement": {"get"},
    "/api/v1/seller/payouts": {"get", "post"},
    "/api/v1/seller/payouts/{public_id}": {"get"},
    "/api/v1/seller/products": {"get", "post"},
    "/api/v1/seller/products/{public_id}": {"get", "patch"},
    "/api/v1/seller/products/{public_id}/submit": {"post"},
    "/api/v1/seller/products/{public_id}/delist": {"post"},
    "/api/v1/seller/products/{public_id}/skus": {"post"},
    "/api/v1/seller/skus/{public_id}": {"patch"},
    "/api/v1/seller/skus/{public_id}/stock": {"get", "post"},
    "/api/v1/seller/products/{public_id}/images": {"post"},
    "/api/v1/seller/products/{public_id}/images/{image_id}": {"delete"},
    "/api/v1/operator/shops": {"get"},
    "/api/v1/operator/shops/{public_id}/approve": {"post"},
    "/api/v1/operator/shops/{public_id}/reject": {"post"},
    "/api/v1/operator/products": {"get"},
    "/api/v1/operator/products/{public_id}/approve": {"post"},
    "/api/v1/operator/products/{public_id}/reject": {"post"},
    "/api/v1/operator/products/{public_id}/delist": {"post"},
    "/api/v1/finance/payouts": {"get"},
    "/api/v1/finance/payouts/{public_id}/approve": {"post"},
    "/api/v1/finance/payouts/{public_id}/reject": {"post"},
    "/api/v1/cart": {"get"},
    "/api/v1/cart/lines": {"post"},
    "/api/v1/cart/lines/{sku}": {"patch", "delete"},
    "/api/v1/cart/quote": {"post"},
    "/api/v1/cart/merge": {"post"},
    "/api/v1/checkout": {"post"},
    "/api/v1/checkout/coupons": {"post"},
    "/api/v1/checkouts/{public_id}": {"get"},
    "/api/v1/orders": {"get"},
    "/api/v1/orders/{public_id}": {"get"},
    "/api/v1/orders/{public_id}/cancel": {"post"},
    "/api/v1/orders/{public_id}/confirm-receipt": {"post"},
    "/api/v1/seller/orders": {"get"},
    "/api/v1/seller/orders/pickup": {"post"},
    "/api/v1/seller/orders/{public_id}": {"get"},
    "/api/v1/seller/orders/{public_id}/ship": {"post"},
    "/api/v1/seller/orders/{public_id}/ready-for-pickup": {"post"},
    "/api/v1/seller/orders/{public_id}/refunds": {"post"},
    "/api/v1/checkin/lists": {"get"},
    "/api/v1/checkin/lists/{public_id}/bundle": {"get"},
    "/api/v1/checkin/lists/{public_id}/scans": {"post"},
    "/api/v1/checkin/lists/{public_id}/uploads": {"post"},
    "/api/v1/checkin/lists/{public_id}/status": {"get"},
    "/api/v1/events/programme": {"get"},
    "/api/v1/events/venues": {"get"},
    "/api/v1/events/keys": {"get"},
    "/api/v1/events/revocations": {"get"},
    "/api/v1/events/{public_id}": {"get"},
    "/api/v1/events/sessions/{public_id}": {"get"},
    "/api/v1/events/sessions/{public_id}/reservations": {"post"},
    "/api/v1/events/sessions/{public_id}/waitlist": {"get", "post", "delete"},
    "/api/v1/events/sessions/{public_id}/waitlist/claim": {"post"},
    "/api/v1/me/reservations": {"get"},
    "/api/v1/me/reservations/{public_id}": {"get"},
    "/api/v1/me/reservations/{public_id}/cancel": {"post"},
    "/api/v1/me/waitlist": {"get"},
    "/api/v1/me/tickets": {"get"},
    "/api/v1/me/tickets/{public_id}": {"get"},
    "/api/v1/me/notifications": {"get"},
    "/api/v1/me/notifications/{public_id}/read": {"post"},
    "/api/v1/auctions/sales": {"get"},
    "/api/v1/auctions/sales/{public_id}": {"get"},
    "/api/v1/auctions/lots": {"get"},
    "/api/v1/auctions/lots/{public_id}": {"get"},
    "/api/v1/auctions/lots/{public_id}/bids": {"get", "post"},
    "/api/v1/auctions/lots/{public_id}/live": {"get"},
    "/api/v1/auctions/lots/{public_id}/deposit": {"post"},
    "/api/v1/auctions/lots/{public_id}/watch": {"post", "delete"},
    "/api/v1/auctions/lots/{public_id}/checkout": {"post"},
    "/api/v1/auctions/lots/{public_id}/second-chance/accept": {"post"},
    "/api/v1/auctions/lots/{public_id}/second-chance/decline": {"post"},
    "/api/v1/me/auctions/bids": {"get"},
    "/api/v1/me/auctions/watching": {"get"},
    "/api/v1/promotions/coupons": {"get"},
    "/api/v1/promotions/coupons/{public_id}": {"get"},
    "/api/v1/promotions/coupons/{public_id}/claim": {"post"},
    "/api/v1/promotions/codes/claim": {"post"},
    "/api/v1/promotions/my-coupons": {"get"},
    "/api/v1/seller/coupons": {"get", "post"},
    "/api/v1/seller/coupons/{public_id}/status": {"post"},
    "/api/v1/o2o/booths/{code}": {"get"},
    "/api/v1/o2o/exhibits/{code}": {"get"},
    "/api/v1/o2o/scans": {"post"},
    "/api/v1/o2o/my-scans": {"get", "delete"},
    "/api/v1/o2o/pickups/{order}": {"get"},
    "/api/v1/o2o/redeemables": {"get"},
    "/api/v1/o2o/redemptions": {"post"},
    "/api/v1/o2o/reversals": {"post"},
    "/api/v1/o2o/pickup-booths": {"get"},
    "/api/v1/o2o/booth-checkout": {"post"},
    "/api/v1/o2o/booths/{booth}/pickups": {"get"},
    "/api/v1/seller/booths": {"get"},
    "/api/v1/seller/booths/{public_id}/exhibits": {"post"},
    "/api/v1/seller/booths/{public_id}/sheet.pdf": {"get"},
    "/api/v1/seller/exhibits/{public_id}": {"patch", "delete"},
    "/api/v1/operator/booths": {"get", "post"},
    "/api/v1/operator/booths/{public_id}/withdraw": {"post"},
    "/api/v1/operator/booths/{public_id}/sheet.pdf": {"get"},
    "/api/v1/operator/show/dashboard": {"get"},
    "/api/v1/seller/show/dashboard": {"get"},
    "/api/v1/o2o/passport": {"get"},
    "/api/v1/o2o/passport/routes": {"get"},
    "/api/v1/o2o/passport/rewards": {"get"},
    "/api/v1/o2o/passport/stamps": {"post"},
    "/api/v1/seller/booths/{public_id}/stamp-code": {"get"},
    "/api/v1/o2o/awards": {"get"},
    "/api/v1/o2o/awards/categories/{public_id}": {"get"},
    "/api/v1/o2o/awards/categories/{public_id}/leaderboard": {"get"},
    "/api/v1/o2o/awards/categories/{public_id}/vote": {"put"},
    "/api/v1/o2o/my-votes": {"get"},
    "/api/v1/operator/awards/categories/{public_id}/leaderboard": {"get"},
    "/api/v1/o2o/favourites": {"get"},
    "/api/v1/o2o/favourites/{public_id}": {"put", "delete"},
    "/api/v1/presales": {"get"},
    "/api/v1/presales/{public_id}": {"get"},
    "/api/v1/presales/{public_id}/preorders": {"post"},
    "/api/v1/preorders": {"get"},
    "/api/v1/preorders/{public_id}": {"get"},
    "/api/v1/preorders/{public_id}/deposit": {"post"},
    "/api/v1/preorders/{public_id}/balance": {"post"},
    "/api/v1/preorders/{public_id}/cancel": {"post"},
    "/api/v1/seller/presales": {"get", "post"},
    "/api/v1/seller/presales/{public_id}": {"get", "patch"},
    "/api/v1/seller/presales/{public_id}/submit": {"post"},
    "/api/v1/seller/presales/{public_id}/cancel": {"post"},
    "/api/v1/seller/presales/{public_id}/preorders": {"get"},
    "/api/v1/seller/presale-shipments": {"get"},
    "/api/v1/operator/presales": {"get"},
    "/api/v1/operator/presales/{public_id}/approve": {"post"},
    "/api/v1/operator/presales/{public_id}/reject": {"post"},
    "/api/v1/operator/preorders": {"get"},
    "/api/v1/operator/preorders/{public_id}/refund": {"post"},
    "/api/v1/seller/coupons/{public_id}": {"get"},
    "/api/v1/seller/coupons/{public_id}/code-batches": {"get", "post"},
    "/api/v1/seller/code-batches/{public_id}/codes.csv": {"get"},
    "/api/v1/deals": {"get"},
    "/api/v1/deals/{public_id}": {"get"},
    "/api/v1/deals/{public_id}/state": {"get"},
    "/api/v1/deals/{public_id}/buy": {"post"},
    "/api/v1/deals/{public_id}/tickets/{ticket}": {"get"},
}


@pytest.fixture(scope="module")
def openapi():
    """Fetched once: building the document takes a while and it never changes."""
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


# --- the document ---------------------------------------------------------------------


def test_openapi_document_names_the_api_and_its_version(openapi):
    assert openapi["info"]["title"] == "Design Mall API"
    assert openapi["info"]["version"] == "1"


def test_openapi_document_lists_every_operation(openapi):
    listed = {path: set(methods) for path, methods in openapi["paths"].items()}
    assert listed == EXPECTED_PATHS


def test_every_operation_documents_the_error_shape(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            error = operation["responses"]["500"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
    assert set(openapi["components"]["schemas"]["ErrorBody"]["properties"]) == {
        "code",
        "message",
        "details",
    }


def test_every_operation_documents_the_statuses_the_framework_can_answer(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            listed = set(operation["responses"])
            expected = {"500"}
            if "{" in path:
                expected.add("404")
            if operation.get("parameters") or "requestBody" in operation:
                expected.add("422")
            if "requestBody" in operation:
                expected |= {"400", "413"}
            if operation.get("security"):
                expected |= {"401", "403"}
            assert expected <= listed, (method, path, sorted(expected - listed))
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    content = response["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/ErrorOut"}, (path, status)


def test_path_ids_are_documented_with_the_pattern_the_routes_match(openapi):
    parameter = openapi["paths"]["/api/v1/products/{public_id}"]["get"]["parameters"][0]
    assert parameter["schema"]["pattern"] == "^[a-z]{1,4}_[0-9a-z]{16}$"


def test_an_operation_that_names_only_its_success_still_documents_its_failures():
    from ninja import Schema

    from designmall.api.openapi import DocumentedErrorsAPI

    class ThingIn(Schema):
        name: str

    api = DocumentedErrorsAPI(urls_namespace="documented-errors-test")

    @api.post("/things/{public_id}", response={201: ThingIn})
    def make_thing(request, public_id: str, payload: ThingIn):
        return 201, payload

    paths = api.get_openapi_schema(path_prefix="/api/")["paths"]
    operation = paths["/api/things/{public_id}"]["post"]
    assert set(operation["responses"]) == {"201", "400", "404", "413", "422", "500"}


def test_operations_that_need_login_document_401_and_the_two_ways_in(openapi):
    operation = openapi["paths"]["/api/v1/me"]["get"]
    assert "401" in operation["responses"]
    assert {next(iter(s)) for s in operation["security"]} == {"BearerToken", "SessionCookie"}


def test_interactive_docs_page_loads(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"/api/v1/openapi.json" in response.content


def test_health_check_still_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["ok"] is True


# --- routes and methods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/nothing-here", "/api/v1/products/", "/api/v1/seller"]
)
def test_unknown_route_is_404_in_the_error_shape(client, path):
    assert_error(client.get(path), 404, "not_found")


def test_unknown_route_refuses_posts_with_404_not_a_csrf_page(client):
    assert_error(client.post("/api/v1/nothing-here", {}), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/products/12", "/api/v1/products/P_NOT-AN-ID"])
def test_malformed_public_id_is_404(client, path):
    assert_error(client.get(path), 404, "not_found")


def test_an_image_named_by_a_row_number_is_404(api_as, seller):
    path = "/seller/products/p_0000000000000000/images/" + "9" * 30
    assert_error(api_as(seller).delete(path), 404, "not_found")


def test_wrong_method_is_405_with_allowed_methods(client):
    response = client.put("/api/v1/products", "{}", content_type="application/json")
    error = assert_error(response, 405, "method_not_allowed")
    assert error["details"] == {"allowed": ["GET"]}
    assert response["Allow"] == "GET"


# --- bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["{", '{"identifier": "a@example.com",}', "NaN", '{"n": Infinity}', b"\xff\xfe{"]
)
def test_malformed_json_is_400(anon, raw):
    assert_error(anon.post("/auth/register", raw=raw), 400, "malformed_json")


def test_json_that_is_not_an_object_is_invalid(anon):
    assert invalid_fields(anon.post("/auth/register", ["a@example.com"])) == {"body"}


def test_missing_body_is_invalid(anon):
    assert invalid_fields(anon.post("/auth/register")) == {"body"}


def test_validation_error_names_each_field_with_a_message(anon):
    response = anon.post("/auth/register", {"identifier": 12, "surprise": True})
    error = assert_error(response, 422, "invalid")
    by_field = {item["field"]: item for item in error["details"]}
    assert set(by_field) == {"identifier", "password", "surprise"}
    assert all(item["source"] == "body" and item["message"] for item in by_field.values())


def test_text_with_nul_characters_is_invalid(anon):
    response = anon.post("/auth/register", {"identifier": "a\x00@example.com", "password": "x"})
    assert invalid_fields(response) == {"identifier"}


def test_body_over_the_upload_limit_is_413(anon, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = {"identifier": "a@example.com", "password": "p" * 120}
    assert_error(anon.post("/auth/register", body), 413, "payload_too_large")


# --- failures inside operations ---------------------------------------------------------------


def test_unhandled_error_is_500_without_the_traceback(anon, monkeypatch):
    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setattr("designmall.api.v1.catalog.category_forest", broken)
    response = anon.get("/categories")
    assert_error(response, 500, "internal_error")
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_does_not_exist_from_the_orm_is_404(anon, monkeypatch):
    def missing():
        raise Category.DoesNotExist

    monkeypatch.setattr("designmall.api.v1.catalog.category_forest", missing)
    assert_error(anon.get("/categories"), 404, "not_found")


def test_integrity_race_is_409_conflict(anon, monkeypatch):
    def race():
        raise IntegrityError("duplicate key")

    monkeypatch.setattr("designmall.api.v1.catalog.category_forest", race)
    assert_error(anon.get("/categories"), 409, "conflict")


# --- bodies that cannot be parsed at all ---------------------------------------------------

UNREADABLE_FORMS = [
    pytest.param("multipart/form-data", b"--x\r\n\r\n--x--", id="no-boundary"),
    pytest.param("multipart/form-data; boundary=", b"--x\r\n", id="empty-boundary"),
    pytest.param("multipart/form-data; boundary=" + "b" * 250, b"--x\r\n", id="long-boundary"),
    pytest.param(
        "multipart/form-data; boundary=abc",
        b'--abc\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n--abc--\r\n",
        id="undecodable-part",
    ),
]


@pytest.mark.parametrize(("content_type", "body"), UNREADABLE_FORMS)
def test_an_upload_whose_body_cannot_be_parsed_is_400(api_as, seller, content_type, body):
    client = api_as(seller)
    response = client.client.generic(
        "POST",
        "/api/v1/seller/products/p_0000000000000000/images",
        body,
        content_type=content_type,
        headers=client.headers,
    )
    assert_error(response, 400, "malformed_body")


@pytest.mark.parametrize(("content_type", "body"), UNREADABLE_FORMS)
def test_a_json_operation_sent_an_unreadable_form_is_400(anon, content_type, body):
    response = anon.client.generic("POST", "/api/v1/auth/register", body, content_type=content_type)
    assert response.status_code == 400
    assert_error(response, 400, response.json()["error"]["code"])


def test_a_session_client_sending_an_unreadable_form_is_400_not_a_csrf_failure(client, seller):
    client.force_login(seller)
    response = client.generic(
        "POST",
        "/api/v1/seller/products/p_0000000000000000/images",
        b"--x\r\n",
        content_type="multipart/form-data",
    )
    assert_error(response, 400, "malformed_body")


def test_a_body_django_refuses_before_the_api_is_400_in_the_error_shape(rf):
    from django.http.multipartparser import MultiPartParserError

    from designmall.api.errors import bad_request

    response = bad_request(rf.post("/api/v1/anything"), MultiPartParserError("no boundary"))
    assert response.status_code == 400
    assert json.loads(response.content)["error"]["code"] == "malformed_body"
