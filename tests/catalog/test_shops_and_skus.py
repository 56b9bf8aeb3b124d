import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from designmall.accounts.roles import Role
from designmall.catalog import services
from designmall.catalog.models import ProductStatus, ShopStatus
from designmall.catalog.selectors import product_on_sale, products_on_sale
from designmall.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tests.factories import make_operator, make_product, make_shop, make_user

pytestmark = pytest.mark.django_db


def test_applying_creates_a_pending_shop():
    applicant = make_user()
    shop = services.shop_apply(owner=applicant, name_zh="木作工坊", country="cn")
    assert (shop.status, shop.country) == (ShopStatus.PENDING, "CN")


def test_one_open_application_per_person():
    applicant = make_user()
    services.shop_apply(owner=applicant, name_zh="木作工坊")
    with pytest.raises(Conflict):
        services.shop_apply(owner=applicant, name_zh="第二家")


def test_approval_makes_the_applicant_a_seller_with_commission():
    applicant, operator = make_user(), make_operator()
    shop = services.shop_apply(owner=applicant, name_zh="木作工坊")
    shop = services.shop_approve(shop=shop, by=operator, commission_bp=1200)
    assert shop.status == ShopStatus.APPROVED
    assert shop.commission_bp == 1200
    applicant.__dict__.pop("_role_names", None)
    assert applicant.has_role(Role.SELLER)


def test_rejection_keeps_the_reason_and_allows_a_new_application():
    applicant, operator = make_user(), make_operator()
    shop = services.shop_apply(owner=applicant, name_zh="木作工坊")
    shop = services.shop_reject(shop=shop, by=operator, reason="资料不全")
    assert (shop.status, shop.reject_reason) == (ShopStatus.REJECTED, "资料不全")
    assert services.shop_apply(owner=applicant, name_zh="木作工坊二期").status == ShopStatus.PENDING


def test_only_operators_review_shops():
    applicant = make_user()
    shop = services.shop_apply(owner=applicant, name_zh="木作工坊")
    with pytest.raises(PermissionDenied):
        services.shop_approve(shop=shop, by=applicant)


def test_an_approved_shop_cannot_be_approved_again():
    shop = make_shop()
    with pytest.raises(InvalidTransition):
        services.shop_approve(shop=shop, by=make_operator())


def test_suspending_a_shop_takes_its_products_off_sale():
    shop = make_shop()
    product = make_product(shop=shop)
    services.shop_suspend(shop=shop, by=make_operator(), reason="投诉调查")
    assert not products_on_sale().filter(pk=product.pk).exists()
    with pytest.raises(NotFound):
        product_on_sale(public_id=product.public_id)


@pytest.mark.parametrize("price", [0, -1, 10**13, 1.5, "100", True])
def test_sku_price_must_be_positive_whole_fen_within_limit(price):
    shop = make_shop()
    product = make_product(shop=shop, status=ProductStatus.DRAFT)
    with pytest.raises(ValidationFailed):
        services.sku_create(product=product, by=shop.owner, code="X1", price_fen=price)


def test_sku_stock_is_not_a_catalog_field():
    shop = make_shop()
    product = make_product(shop=shop, status=ProductStatus.DRAFT, skus=[])
    with pytest.raises(ValidationFailed) as refused:
        services.sku_create(product=product, by=shop.owner, code="X1", price_fen=100, stock=3)
    assert refused.value.code == "unknown_field"
    assert not product.skus.exists()


def test_sku_changes_keep_product_lowest_price():
    shop = make_shop()
    product = make_product(shop=shop, skus=[(50_000, 0)])
    sku = services.sku_create(
        product=product,
        by=shop.owner,
        code="OAK",
        price_fen=30_000,
        attributes={"材质": "橡木"},
    )
    product.refresh_from_db()
    assert product.price_min_fen == 30_000
    services.sku_update(sku=sku, by=shop.owner, is_active=False)
    product.refresh_from_db()
    assert product.price_min_fen == 50_000


def test_product_availability_set_changes_the_flag_and_says_whether_it_did():
    product = make_product(skus=[(10_000, 0)])
    assert product.in_stock is False
    assert services.product_availability_set(product_id=product.id, in_stock=True) is True
    assert services.product_availability_set(product_id=product.id, in_stock=True) is False
    product.refresh_from_db()
    assert product.in_stock is True


def test_duplicate_sku_code_in_one_product_is_a_conflict():
    shop = make_shop()
    product = make_product(shop=shop)
    services.sku_create(product=product, by=shop.owner, code="A", price_fen=100)
    with pytest.raises(Conflict):
        services.sku_create(product=product, by=shop.owner, code="A", price_fen=200)


def test_another_seller_cannot_edit_a_sku():
    shop = make_shop()
    product = make_product(shop=shop)
    sku = product.skus.first()
    with pytest.raises(NotFound):
        services.sku_update(sku=sku, by=make_user(role=Role.SELLER), price_fen=1)


def _png_upload(name="chair.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "#b5651d").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_seller_adds_and_removes_an_image():
    shop = make_shop()
    product = make_product(shop=shop)
    image = services.product_image_add(product=product, by=shop.owner, upload=_png_upload())
    assert product.images.count() == 1
    services.product_image_remove(product=product, by=shop.owner, image_public_id=image.public_id)
    assert product.images.count() == 0


def test_a_file_that_is_not_an_image_is_refused():
    shop = make_shop()
    product = make_product(shop=shop)
    fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
    with pytest.raises(ValidationFailed) as exc:
        services.product_image_add(product=product, by=shop.owner, upload=fake)
    assert exc.value.code == "invalid_image"
    assert product.images.count() == 0


def test_sellers_current_shop_is_the_new_application_after_a_rejection():
    applicant, operator = make_user(), make_operator()
    rejected = services.shop_apply(owner=applicant, name_zh="一期")
    services.shop_reject(shop=rejected, by=operator, reason="资料不全")
    second = services.shop_apply(owner=applicant, name_zh="二期")
    assert services.shop_for_seller(user=applicant) == second
    assert services.shop_for_seller(user=applicant, shop_public_id=rejected.public_id) == rejected
