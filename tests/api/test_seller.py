"""The seller center: a seller works on their own shop and products, and nobody else's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from designmall.catalog.models import ProductImage, ProductStatus, ShopStatus, Sku
from designmall.catalog.services import MAX_PRICE_FEN, MAX_STOCK
from designmall.inventory.models import StockAdjustment, StockLevel
from designmall.inventory.selectors import available_by_sku
from tests.api.conftest import ABSENT_ID, assert_error, invalid_fields, png_bytes
from tests.factories import make_category, make_designer, make_product, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_seller(api_as, seller):
    return api_as(seller)


@pytest.fixture
def own_product(seller):
    return make_product(shop=seller.shops.get(), status=ProductStatus.DRAFT)


@pytest.fixture
def others_product(db):
    return make_product(status=ProductStatus.DRAFT)


def image_file(name: str = "chair.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else png_bytes(), "image/png")


P = "p_0000000000000000"
K = "k_0000000000000000"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/seller/shop"),
        ("get", "/seller/shop"),
        ("get", "/seller/products"),
        ("post", "/seller/products"),
        ("get", f"/seller/products/{P}"),
        ("patch", f"/seller/products/{P}"),
        ("post", f"/seller/products/{P}/submit"),
        ("post", f"/seller/products/{P}/delist"),
        ("post", f"/seller/products/{P}/skus"),
        ("patch", f"/seller/skus/{K}"),
        ("get", f"/seller/skus/{K}/stock"),
        ("post", f"/seller/skus/{K}/stock"),
        ("post", f"/seller/products/{P}/images"),
        ("delete", f"/seller/products/{P}/images/img_0000000000000000"),
    ],
)
def test_anonymous_callers_are_401_everywhere(anon, method, path):
    response = anon.get(path) if method == "get" else anon.send(method, path, {})
    assert_error(response, 401, "not_authenticated")


# --- the shop -----------------------------------------------------------------------------


def test_applying_for_a_shop_makes_a_pending_application(api_as, buyer):
    designer = make_designer()
    me = api_as(buyer)
    response = me.post(
        "/seller/shop", {"name_zh": "木作工坊", "country": "jp", "designer": designer.public_id}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["country"]) == ("pending", "JP")
    assert body["designer"]["public_id"] == designer.public_id
    assert me.get("/seller/shop").json()["public_id"] == body["public_id"]


def test_second_application_is_409(api_as, buyer):
    me = api_as(buyer)
    me.post("/seller/shop", {"name_zh": "木作工坊"})
    assert_error(me.post("/seller/shop", {"name_zh": "第二家"}), 409, "shop_exists")


def test_application_with_an_unknown_designer_is_invalid(api_as, buyer):
    body = {"name_zh": "木作工坊", "designer": "d_0000000000000000"}
    error = assert_error(api_as(buyer).post("/seller/shop", body), 422, "unknown_designer")
    assert error["details"] == {"field": "designer"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name_zh"),
        ({"name_zh": ""}, "name_zh"),
        ({"name_zh": "店" * 101}, "name_zh"),
        ({"name_zh": "店", "description_en": "x" * 5001}, "description_en"),
        ({"name_zh": "店", "country": "CHN"}, "country"),
        ({"name_zh": "店", "owner": "u_0000000000000000"}, "owner"),
        ({"name_zh": ["店"]}, "name_zh"),
    ],
)
def test_application_refuses_bad_input(api_as, buyer, body, field):
    assert invalid_fields(api_as(buyer).post("/seller/shop", body)) == {field}


def test_without_a_shop_my_shop_is_404(api_as, buyer):
    assert_error(api_as(buyer).get("/seller/shop"), 404, "shop_not_found")


# --- products -----------------------------------------------------------------------------


def test_creating_a_product_drafts_it_in_my_shop(as_seller, seller):
    make_category(slug="chairs")
    response = as_seller.post(
        "/seller/products",
        {"title_zh": "胡桃木椅", "title_en": "Walnut chair", "category": "chairs"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["title_en"], body["category"]["slug"]) == (
        "draft",
        "Walnut chair",
        "chairs",
    )
    assert (body["origin"], body["country"]) == ("domestic", "CN")
    assert (body["skus"], body["images"], body["price_fen"]) == ([], [], None)
    assert seller.shops.get().products.get().public_id == body["public_id"]


def test_creating_a_product_with_an_unknown_category_is_invalid(as_seller):
    response = as_seller.post("/seller/products", {"title_zh": "椅", "category": "nope"})
    assert_error(response, 422, "unknown_category")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "chairs"}, "title_zh"),
        ({"title_zh": "椅"}, "category"),
        ({"title_zh": "椅" * 121, "category": "chairs"}, "title_zh"),
        (
            {"title_zh": "椅", "category": "chairs", "description_zh": "长" * 10001},
            "description_zh",
        ),
        ({"title_zh": "椅", "category": "chairs", "origin": "moon"}, "origin"),
        ({"title_zh": "椅", "category": "chairs", "status": "live"}, "status"),
        ({"title_zh": "椅", "category": "chairs", "price_min_fen": 1}, "price_min_fen"),
    ],
)
def test_creating_a_product_refuses_bad_input(as_seller, body, field):
    make_category(slug="chairs")
    assert invalid_fields(as_seller.post("/seller/products", body)) == {field}


def test_creating_a_product_before_the_shop_is_open_is_409(api_as):
    owner = make_user()
    make_shop(owner=owner, status=ShopStatus.PENDING)
    make_category(slug="chairs")
    response = api_as(owner).post("/seller/products", {"title_zh": "椅", "category": "chairs"})
    assert_error(response, 409, "shop_not_open")


def test_creating_a_product_without_a_shop_is_404(api_as, buyer):
    make_category(slug="chairs")
    response = api_as(buyer).post("/seller/products", {"title_zh": "椅", "category": "chairs"})
    assert_error(response, 404, "shop_not_found")


def test_my_products_list_is_mine_in_any_status_and_filters_by_status(as_seller, seller):
    shop = seller.shops.get()
    draft = make_product(shop=shop, status=ProductStatus.DRAFT)
    live = make_product(shop=shop)
    make_product()
    everything = as_seller.get("/seller/products").json()
    assert {p["public_id"] for p in everything["items"]} == {draft.public_id, live.public_id}
    drafts = as_seller.get("/seller/products", {"status": "draft"}).json()
    assert [p["public_id"] for p in drafts["items"]] == [draft.public_id]


def test_my_products_list_refuses_an_unknown_status(as_seller):
    assert invalid_fields(as_seller.get("/seller/products", {"status": "sold"})) == {"status"}


def test_my_product_detail_shows_inactive_skus_with_stock(as_seller, own_product):
    off = Sku.objects.create(product=own_product, code="OFF", price_fen=100, is_active=False)
    StockLevel.objects.create(sku=off, received=7, available=7)
    body = as_seller.get(f"/seller/products/{own_product.public_id}").json()
    assert {(s["code"], s["stock"], s["is_active"]) for s in body["skus"]} >= {("OFF", 7, False)}


def test_another_sellers_product_is_404_for_every_action(as_seller, others_product):
    path = f"/seller/products/{others_product.public_id}"
    assert_error(as_seller.get(path), 404, "product_not_found")
    assert_error(as_seller.patch(path, {"title_zh": "抢来的"}), 404, "product_not_found")
    assert_error(as_seller.post(f"{path}/submit"), 404, "product_not_found")
    assert_error(as_seller.post(f"{path}/delist"), 404, "product_not_found")
    sku_body = {"code": "X", "price_fen": 100}
    assert_error(as_seller.post(f"{path}/skus", sku_body), 404, "product_not_found")
    upload = as_seller.upload(f"{path}/images", {"image": image_file()})
    assert_error(upload, 404, "product_not_found")
    others_product.refresh_from_db()
    assert others_product.title_zh != "抢来的"


def test_unknown_product_is_404(as_seller):
    assert_error(as_seller.get(f"/seller/products/{ABSENT_ID}"), 404, "product_not_found")


def test_updating_changes_only_the_fields_sent(as_seller, own_product):
    response = as_seller.patch(f"/seller/products/{own_product.public_id}", {"title_en": "Stool"})
    assert response.status_code == 200, response.content
    assert response.json()["title_en"] == "Stool"
    own_product.refresh_from_db()
    assert (own_product.title_en, own_product.status) == ("Stool", ProductStatus.DRAFT)


def test_changing_the_text_of_a_live_product_sends_it_back_to_review(as_seller, seller):
    live = make_product(shop=seller.shops.get())
    body = as_seller.patch(f"/seller/products/{live.public_id}", {"title_zh": "新名字"}).json()
    assert body["status"] == "pending_review"


def test_designer_null_removes_the_designer(as_seller, seller):
    product = make_product(shop=seller.shops.get(), designer=make_designer())
    body = as_seller.patch(f"/seller/products/{product.public_id}", {"designer": None}).json()
    assert body["designer"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title_zh": None}, "title_zh"),
        ({"title_zh": ""}, "title_zh"),
        ({"title_en": "t" * 121}, "title_en"),
        ({"country": 86}, "country"),
        ({"shop": "s_0000000000000000"}, "shop"),
    ],
)
def test_updating_refuses_bad_input(as_seller, own_product, body, field):
    response = as_seller.patch(f"/seller/products/{own_product.public_id}", body)
    assert invalid_fields(response) == {field}


def test_submitting_without_an_active_sku_is_refused(as_seller, seller):
    bare = make_product(shop=seller.shops.get(), status=ProductStatus.DRAFT, skus=[])
    response = as_seller.post(f"/seller/products/{bare.public_id}/submit")
    assert_error(response, 422, "no_active_sku")


def test_submitting_sends_the_product_to_review(as_seller, own_product):
    body = as_seller.post(f"/seller/products/{own_product.public_id}/submit").json()
    assert body["status"] == "pending_review"


def test_delisting_takes_a_live_product_off_sale_with_an_optional_reason(as_seller, seller):
    shop = seller.shops.get()
    first, second = make_product(shop=shop), make_product(shop=shop)
    no_body = as_seller.post(f"/seller/products/{first.public_id}/delist")
    assert no_body.json()["status"] == "delisted"
    with_reason = as_seller.post(f"/seller/products/{second.public_id}/delist", {"reason": "售罄"})
    assert (with_reason.json()["status"], with_reason.json()["moderation_note"]) == (
        "delisted",
        "售罄",
    )


def test_delisting_a_draft_is_an_invalid_transition(as_seller, own_product):
    response = as_seller.post(f"/seller/products/{own_product.public_id}/delist")
    error = assert_error(response, 409, "invalid_transition")
    assert error["details"] == {"from": "draft", "action": "delist"}


# --- SKUs ---------------------------------------------------------------------------------


def test_adding_a_sku_updates_the_products_price(as_seller, own_product):
    path = f"/seller/products/{own_product.public_id}"
    response = as_seller.post(
        f"{path}/skus",
        {"code": "WAL-L", "price_fen": 9_900, "stock": 3, "attributes": {"尺寸": "L"}},
    )
    assert response.status_code == 201, response.content
    sku = response.json()
    assert (sku["price_fen"], sku["price_display"], sku["stock"]) == (9_900, "¥99.00", 3)
    assert sku["attributes"] == {"尺寸": "L"}
    assert as_seller.get(path).json()["price_fen"] == 9_900


def test_duplicate_sku_code_is_409(as_seller, own_product):
    code = own_product.skus.first().code
    response = as_seller.post(
        f"/seller/products/{own_product.public_id}/skus", {"code": code, "price_fen": 100}
    )
    assert_error(response, 409, "sku_code_taken")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price_fen": -100}, "price_fen"),
        ({"price_fen": 0}, "price_fen"),
        ({"price_fen": MAX_PRICE_FEN + 1}, "price_fen"),
        ({"price_fen": 10**40}, "price_fen"),
        ({"price_fen": "1200"}, "price_fen"),
        ({"price_fen": 12.5}, "price_fen"),
        ({"price_fen": True}, "price_fen"),
        ({"stock": -1}, "stock"),
        ({"stock": MAX_STOCK + 1}, "stock"),
        ({"code": "c" * 41}, "code"),
        ({"is_active": "yes"}, "is_active"),
        ({"attributes": {"颜色": 1}}, "attributes.颜色"),
        ({"attributes": {"k" * 21: "v"}}, "attributes.kkkkkkkkkkkkkkkkkkkkk.[key]"),
        ({"attributes": ["红"]}, "attributes"),
        ({"product": "p_0000000000000000"}, "product"),
    ],
)
def test_adding_a_sku_refuses_bad_input(as_seller, own_product, changes, field):
    body = {"code": "NEW", "price_fen": 100, **changes}
    response = as_seller.post(f"/seller/products/{own_product.public_id}/skus", body)
    assert invalid_fields(response) == {field}


def test_more_than_five_attributes_are_refused(as_seller, own_product):
    attributes = {f"k{i}": "v" for i in range(6)}
    response = as_seller.post(
        f"/seller/products/{own_product.public_id}/skus",
        {"code": "NEW", "price_fen": 100, "attributes": attributes},
    )
    assert_error(response, 422, "invalid_attributes")


def test_updating_a_sku_changes_what_is_sent(as_seller, own_product):
    sku = own_product.skus.first()
    response = as_seller.patch(f"/seller/skus/{sku.public_id}", {"stock": 0, "price_fen": 500})
    assert response.status_code == 200, response.content
    assert response.json()["stock"] == 0
    sku.refresh_from_db()
    assert (available_by_sku([sku.id])[sku.id], sku.price_fen) == (0, 500)
    own_product.refresh_from_db()
    assert (own_product.price_min_fen, own_product.in_stock) == (500, False)


def test_updating_another_sellers_sku_is_404(as_seller, others_product):
    sku = others_product.skus.first()
    response = as_seller.patch(f"/seller/skus/{sku.public_id}", {"stock": 0})
    assert_error(response, 404, "sku_not_found")
    assert available_by_sku([sku.id])[sku.id] > 0


def test_updating_a_sku_refuses_a_negative_price(as_seller, own_product):
    sku = own_product.skus.first()
    response = as_seller.patch(f"/seller/skus/{sku.public_id}", {"price_fen": -1})
    assert invalid_fields(response) == {"price_fen"}


# --- stock --------------------------------------------------------------------------------


def stock_path(sku) -> str:
    return f"/seller/skus/{sku.public_id}/stock"


def test_a_new_skus_stock_is_recorded_as_received(as_seller, own_product):
    response = as_seller.post(
        f"/seller/products/{own_product.public_id}/skus",
        {"code": "NEW", "price_fen": 100, "stock": 3},
    )
    sku = Sku.objects.get(public_id=response.json()["public_id"])
    assert as_seller.get(stock_path(sku)).json() == {
        "sku": sku.public_id,
        "received": 3,
        "available": 3,
        "held": 0,
        "sold": 0,
        "written_off": 0,
    }
    assert list(StockAdjustment.objects.filter(sku=sku).values_list("delta", "reason")) == [
        (3, "received")
    ]


def test_setting_a_skus_stock_records_the_difference_as_a_correction(as_seller, own_product):
    sku = own_product.skus.get()  # 5 in stock
    as_seller.patch(f"/seller/skus/{sku.public_id}", {"stock": 2})
    counters = as_seller.get(stock_path(sku)).json()
    assert (counters["available"], counters["written_off"]) == (2, 3)
    assert StockAdjustment.objects.get(sku=sku).reason == "correction"


def test_received_goods_add_to_the_stock(as_seller, own_product):
    sku = own_product.skus.get()
    response = as_seller.post(stock_path(sku), {"delta": 10, "reason": "received", "note": "到货"})
    assert response.status_code == 200, response.content
    assert (response.json()["received"], response.json()["available"]) == (15, 15)
    assert StockAdjustment.objects.get(sku=sku).note == "到货"


def test_damaged_units_are_written_off(as_seller, own_product):
    sku = own_product.skus.get()
    response = as_seller.post(stock_path(sku), {"delta": -2, "reason": "damaged"})
    assert (response.json()["available"], response.json()["written_off"]) == (3, 2)


def test_writing_off_more_than_is_available_is_409(as_seller, own_product):
    sku = own_product.skus.get()
    error = assert_error(
        as_seller.post(stock_path(sku), {"delta": -6, "reason": "damaged"}),
        409,
        "insufficient_stock",
    )
    assert error["details"] == {"sku": sku.public_id, "requested": 6, "available": 5}
    assert as_seller.get(stock_path(sku)).json()["available"] == 5


def test_a_reason_with_the_wrong_sign_is_refused(as_seller, own_product):
    sku = own_product.skus.get()
    response = as_seller.post(stock_path(sku), {"delta": 2, "reason": "damaged"})
    assert_error(response, 422, "invalid_delta")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"delta": "2", "reason": "received"}, "delta"),
        ({"delta": MAX_STOCK + 1, "reason": "received"}, "delta"),
        ({"delta": 2, "reason": "stolen"}, "reason"),
        ({"delta": 2, "reason": "received", "note": "n" * 501}, "note"),
        ({"delta": 2, "reason": "received", "by": "me"}, "by"),
    ],
)
def test_a_stock_adjustment_refuses_bad_input(as_seller, own_product, body, field):
    response = as_seller.post(stock_path(own_product.skus.get()), body)
    assert invalid_fields(response) == {field}


def test_another_sellers_stock_is_404(as_seller, others_product):
    sku = others_product.skus.get()
    assert_error(as_seller.get(stock_path(sku)), 404, "sku_not_found")
    response = as_seller.post(stock_path(sku), {"delta": 1, "reason": "received"})
    assert_error(response, 404, "sku_not_found")
    assert not StockAdjustment.objects.exists()


def test_writing_off_the_last_units_marks_the_product_sold_out(as_seller, own_product):
    sku = own_product.skus.get()
    as_seller.post(stock_path(sku), {"delta": -5, "reason": "correction"})
    assert as_seller.get(f"/seller/products/{own_product.public_id}").json()["in_stock"] is False


# --- images -------------------------------------------------------------------------------


def test_uploading_an_image_returns_its_absolute_url(as_seller, own_product):
    path = f"/seller/products/{own_product.public_id}/images"
    response = as_seller.upload(path, {"image": image_file()}, {"alt": "正面"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"].startswith("http://testserver/media/products/")
    assert body["alt"] == "正面"
    assert own_product.images.get().public_id == body["id"]


def test_uploading_something_that_is_not_an_image_is_refused(as_seller, own_product):
    path = f"/seller/products/{own_product.public_id}/images"
    response = as_seller.upload(path, {"image": image_file("x.png", b"not an image")})
    assert_error(response, 422, "invalid_image")


def test_uploading_an_image_over_the_size_limit_is_refused(as_seller, own_product, settings):
    settings.MAX_IMAGE_BYTES = 50
    path = f"/seller/products/{own_product.public_id}/images"
    assert_error(as_seller.upload(path, {"image": image_file()}), 422, "image_too_large")


def test_uploading_without_a_file_is_invalid(as_seller, own_product):
    path = f"/seller/products/{own_product.public_id}/images"
    assert invalid_fields(as_seller.upload(path, {}, {"alt": "正面"})) == {"image"}


def test_uploading_with_an_overlong_alt_is_invalid(as_seller, own_product):
    path = f"/seller/products/{own_product.public_id}/images"
    response = as_seller.upload(path, {"image": image_file()}, {"alt": "长" * 121})
    assert invalid_fields(response) == {"alt"}


def test_removing_an_image(as_seller, own_product):
    image = ProductImage.objects.create(product=own_product, image="products/a.png")
    response = as_seller.delete(
        f"/seller/products/{own_product.public_id}/images/{image.public_id}"
    )
    assert response.status_code == 204
    assert not own_product.images.exists()


def test_removing_another_products_image_is_404(as_seller, own_product, others_product):
    theirs = ProductImage.objects.create(product=others_product, image="products/a.png")
    response = as_seller.delete(
        f"/seller/products/{own_product.public_id}/images/{theirs.public_id}"
    )
    assert_error(response, 404, "image_not_found")
    assert ProductImage.objects.filter(pk=theirs.pk).exists()


def test_upload_with_too_many_form_fields_is_400(as_seller, own_product, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    path = f"/seller/products/{own_product.public_id}/images"
    response = as_seller.upload(path, {"image": image_file()}, {"alt": "a", "b": "b", "c": "c"})
    assert_error(response, 400, "bad_request")
