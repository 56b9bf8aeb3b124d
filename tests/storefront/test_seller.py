"""The seller center: apply for a shop, draft products, SKUs, images, review and delisting."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from designmall.catalog.models import Product, ProductImage, ProductStatus, Shop, ShopStatus
from designmall.inventory.models import StockAdjustment
from designmall.inventory.selectors import available_by_sku, stock_of
from tests.factories import make_category, make_designer, make_product, make_shop, make_user

pytestmark = pytest.mark.django_db
CENTER = reverse("storefront:seller")


def png(name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 120, 60)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def shop(client):
    """An approved shop whose owner is logged in."""
    shop = make_shop(name_zh="木作实验室")
    client.force_login(shop.owner)
    return shop


@pytest.fixture
def product(shop):
    return make_product(shop=shop, status=ProductStatus.DRAFT, title_zh="草稿椅子", skus=[])


def editor(product) -> str:
    return reverse("storefront:seller_product", args=[product.public_id])


# --- access -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(CENTER)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('storefront:login')}?next={CENTER}"


def test_another_sellers_product_is_404(client, shop):
    theirs = make_product(status=ProductStatus.DRAFT)
    assert client.get(editor(theirs)).status_code == 404
    response = client.post(
        reverse("storefront:seller_sku_add", args=[theirs.public_id]),
        {"sku-code": "A", "sku-price": "10", "sku-stock": "1"},
    )
    assert response.status_code == 404
    response = client.post(reverse("storefront:seller_submit", args=[theirs.public_id]))
    assert response.status_code == 404
    assert Product.objects.get(pk=theirs.pk).skus.count() == 1  # untouched


def test_another_sellers_sku_is_404(client, shop):
    theirs = make_product()
    sku = theirs.skus.get()
    response = client.post(
        reverse("storefront:seller_sku", args=[sku.public_id]),
        {f"sku-{sku.public_id}-code": "X", f"sku-{sku.public_id}-price": "1"},
    )
    assert response.status_code == 404


def test_seller_pages_render_in_english(client, product):
    client.cookies["django_language"] = "en"
    for url in (CENTER, editor(product), reverse("storefront:seller_product_new")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Seller center" in response.text, url


# --- the shop -------------------------------------------------------------------------------


def test_a_buyer_sees_the_application_form(client):
    client.force_login(make_user())
    response = client.get(CENTER)
    assert response.status_code == 200
    assert "申请开店" in response.text


def test_applying_opens_a_pending_shop(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("storefront:seller_apply"),
        {"name_zh": "泥与火", "name_en": "Clay & Fire", "country": "cn"},
    )
    assert response["Location"] == CENTER
    shop = Shop.objects.get(owner=user)
    assert shop.status == ShopStatus.PENDING and shop.country == "CN"
    text = client.get(CENTER).text
    assert "待审核" in text
    assert "卖家中心" in text  # applicants get the seller center link


def test_a_bad_application_shows_the_message_and_keeps_the_input(client):
    client.force_login(make_user())
    response = client.post(
        reverse("storefront:seller_apply"), {"name_zh": "泥与火", "country": "1X"}
    )
    assert response.status_code == 200
    assert "国家/地区代码须为两个字母" in response.text
    assert 'value="泥与火"' in response.text
    assert not Shop.objects.exists()


def test_a_rejected_shop_shows_the_reason_and_may_apply_again(client):
    shop = make_shop(status=ShopStatus.REJECTED, reject_reason="请补充作品集。")
    client.force_login(shop.owner)
    response = client.get(CENTER)
    assert "请补充作品集。" in response.text
    assert "重新申请开店" in response.text
    client.post(reverse("storefront:seller_apply"), {"name_zh": "新店", "country": "CN"})
    assert "待审核" in client.get(CENTER).text


def test_a_pending_shop_cannot_create_products(client):
    shop = make_shop(status=ShopStatus.PENDING)
    client.force_login(shop.owner)
    response = client.get(reverse("storefront:seller_product_new"), follow=True)
    assert "店铺开通后才能发布商品" in response.text


def test_the_center_lists_the_sellers_own_products_of_every_status(client, shop, product):
    make_product(title_zh="别人的商品")
    response = client.get(CENTER)
    assert "草稿椅子" in response.text and "草稿" in response.text
    assert "别人的商品" not in response.text


# --- products -------------------------------------------------------------------------------


def test_creating_a_product_drafts_it_and_opens_the_editor(client, shop):
    category = make_category(slug="chairs", name_zh="椅子")
    designer = make_designer()
    response = client.post(
        reverse("storefront:seller_product_new"),
        {
            "product-title_zh": "胡桃木餐椅",
            "product-title_en": "Walnut Dining Chair",
            "product-category": category.slug,
            "product-designer": designer.public_id,
            "product-origin": "domestic",
            "product-country": "CN",
            "product-description_zh": "手工制作。",
        },
    )
    product = Product.objects.get(shop=shop)
    assert response["Location"] == editor(product)
    assert product.status == ProductStatus.DRAFT
    assert (product.title_en, product.category, product.designer) == (
        "Walnut Dining Chair",
        category,
        designer,
    )


def test_a_product_without_category_shows_the_message_and_keeps_the_title(client, shop):
    response = client.post(
        reverse("storefront:seller_product_new"),
        {"product-title_zh": "胡桃木餐椅", "product-origin": "domestic", "product-country": "CN"},
    )
    assert response.status_code == 200
    assert 'value="胡桃木餐椅"' in response.text
    assert not Product.objects.exists()


def test_a_refused_country_shows_the_service_message(client, shop):
    make_category(slug="chairs")
    response = client.post(
        reverse("storefront:seller_product_new"),
        {
            "product-title_zh": "胡桃木餐椅",
            "product-category": "chairs",
            "product-origin": "domestic",
            "product-country": "1X",
        },
    )
    assert "国家/地区代码须为两个字母" in response.text
    assert 'value="胡桃木餐椅"' in response.text


def test_editing_a_product_saves_it(client, shop, product):
    response = client.post(
        editor(product),
        {
            "product-title_zh": "新标题",
            "product-category": product.category.slug,
            "product-origin": "domestic",
            "product-country": "CN",
        },
    )
    assert response["Location"] == editor(product)
    product.refresh_from_db()
    assert product.title_zh == "新标题"


# --- SKUs -----------------------------------------------------------------------------------


def add_sku(client, product, **fields):
    data = {"sku-code": "WAL-01", "sku-price": "129.5", "sku-stock": "3", "sku-is_active": "on"}
    data.update({f"sku-{k}": v for k, v in fields.items()})
    return client.post(reverse("storefront:seller_sku_add", args=[product.public_id]), data)


def test_adding_a_sku_takes_the_price_in_yuan(client, product):
    response = add_sku(client, product, attributes="颜色=黑胡桃\n尺寸＝L\n")
    assert response["Location"] == editor(product)
    sku = product.skus.get()
    assert (sku.price_fen, available_by_sku([sku.id])[sku.id]) == (12_950, 3)
    assert sku.attributes == {"颜色": "黑胡桃", "尺寸": "L"}
    product.refresh_from_db()
    assert product.price_min_fen == 12_950


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"price": "abc"}, "请输入正确的金额"),
        ({"price": "0"}, "金额须大于 0"),
        ({"price": "1.234"}, "请输入正确的金额"),
        ({"stock": "-1"}, "大于或等于0"),
        ({"attributes": "颜色 黑"}, "每行写一项"),
        ({"attributes": "颜色=黑\n颜色=白"}, "重复"),
        ({"price": "200000000"}, "价格须为 1 分至 1 亿元之间"),
    ],
)
def test_a_bad_sku_shows_a_message_and_keeps_the_input(client, product, fields, message):
    response = add_sku(client, product, code="KEEP-ME", **fields)
    assert response.status_code == 200
    assert message in response.text
    assert 'value="KEEP-ME"' in response.text
    assert not product.skus.exists()


def test_a_duplicate_sku_code_is_refused_with_the_service_message(client, product):
    add_sku(client, product)
    response = add_sku(client, product)
    assert "这个货号已存在" in response.text
    assert product.skus.count() == 1


def test_editing_a_sku(client, product):
    add_sku(client, product)
    sku = product.skus.get()
    prefix = f"sku-{sku.public_id}"
    response = client.post(
        reverse("storefront:seller_sku", args=[sku.public_id]),
        {f"{prefix}-code": "WAL-01", f"{prefix}-price": "99", f"{prefix}-stock": "0"},
    )
    assert response["Location"] == editor(product)
    sku.refresh_from_db()
    assert (sku.price_fen, available_by_sku([sku.id])[sku.id], sku.is_active) == (9_900, 0, False)


def edit_sku(client, sku, *, stock_shown: str, **fields):
    """Save the SKU form as the editor sends it: the stock figure shown travels back hidden."""
    prefix = f"sku-{sku.public_id}"
    data = {f"{prefix}-code": sku.code, f"{prefix}-price": "99", f"{prefix}-is_active": "on"}
    data.update({f"{prefix}-{k}": v for k, v in fields.items()})
    data[f"initial-{prefix}-stock"] = stock_shown
    return client.post(reverse("storefront:seller_sku", args=[sku.public_id]), data)


def test_saving_a_sku_with_the_stock_figure_as_shown_keeps_stock_sold_meanwhile(client, product):
    add_sku(client, product, stock="3")
    sku = product.skus.get()
    page = client.get(editor(product)).text
    assert f'name="initial-sku-{sku.public_id}-stock" value="3"' in page
    stock_adjust_post(client, sku, delta="-1", reason="damaged")  # meanwhile: 2 left
    edit_sku(client, sku, stock="3", stock_shown="3")
    assert available_by_sku([sku.id])[sku.id] == 2


def test_a_changed_stock_figure_sets_the_available_units(client, product):
    add_sku(client, product, stock="3")
    sku = product.skus.get()
    edit_sku(client, sku, stock="7", stock_shown="3")
    assert available_by_sku([sku.id])[sku.id] == 7


def stock_adjust_post(client, sku, **fields):
    prefix = f"stock-{sku.public_id}"
    return client.post(
        reverse("storefront:seller_sku_stock", args=[sku.public_id]),
        {f"{prefix}-{k}": v for k, v in fields.items()},
    )


def test_the_editor_shows_each_skus_stock_counters(client, product):
    add_sku(client, product, stock="4")
    text = client.get(editor(product)).text
    assert "可售 4 · 待付款锁定 0 · 已售 0 · 报损 0 · 累计入库 4" in text


def test_recording_received_stock_with_a_note(client, product):
    add_sku(client, product, stock="3")
    sku = product.skus.get()
    response = stock_adjust_post(client, sku, delta="5", reason="received", note="第二批到货")
    assert response["Location"] == editor(product)
    level = stock_of([sku.id])[sku.id]
    assert (level.received, level.available) == (8, 8)
    assert StockAdjustment.objects.filter(sku=sku).latest("id").note == "第二批到货"


def test_writing_off_more_than_is_available_shows_the_service_message(client, product):
    add_sku(client, product, stock="3")
    sku = product.skus.get()
    response = stock_adjust_post(client, sku, delta="-4", reason="damaged", note="KEEP-NOTE")
    assert response.status_code == 200
    assert "可售库存不足" in response.text
    assert 'value="KEEP-NOTE"' in response.text
    assert available_by_sku([sku.id])[sku.id] == 3


def test_another_sellers_sku_stock_is_404(client, shop):
    sku = make_product().skus.get()
    response = stock_adjust_post(client, sku, delta="5", reason="received")
    assert response.status_code == 404
    assert available_by_sku([sku.id])[sku.id] == 5


def test_the_editor_shows_a_skus_price_in_yuan(client, product):
    add_sku(client, product, price="1299")
    assert 'value="1299.00"' in client.get(editor(product)).text


# --- images ---------------------------------------------------------------------------------


def test_uploading_and_removing_an_image(client, product):
    url = reverse("storefront:seller_image_add", args=[product.public_id])
    response = client.post(url, {"image-image": png(), "image-alt": "正面"})
    assert response["Location"] == editor(product)
    image = product.images.get()
    assert image.alt == "正面"
    client.post(
        reverse("storefront:seller_image_remove", args=[product.public_id]),
        {"image": image.public_id},
    )
    assert not product.images.exists()


def test_uploading_something_that_is_not_an_image_shows_the_message(client, product):
    url = reverse("storefront:seller_image_add", args=[product.public_id])
    fake = SimpleUploadedFile("notes.png", b"not an image", content_type="image/png")
    response = client.post(url, {"image-image": fake})
    assert response.status_code == 200
    assert "无法识别的图片文件" in response.text
    assert not product.images.exists()


def test_removing_an_image_that_is_gone_says_so(client, product):
    response = client.post(
        reverse("storefront:seller_image_remove", args=[product.public_id]),
        {"image": "999999"},
        follow=True,
    )
    assert "没有找到这张图片" in response.text


# --- review ---------------------------------------------------------------------------------


def test_submitting_without_a_sku_shows_why_not(client, product):
    response = client.post(
        reverse("storefront:seller_submit", args=[product.public_id]), follow=True
    )
    assert "提交审核前请至少添加一个可售 SKU" in response.text
    product.refresh_from_db()
    assert product.status == ProductStatus.DRAFT


def test_submitting_sends_the_product_to_review(client, product):
    add_sku(client, product)
    response = client.post(
        reverse("storefront:seller_submit", args=[product.public_id]), follow=True
    )
    product.refresh_from_db()
    assert product.status == ProductStatus.PENDING_REVIEW
    assert "已提交审核" in response.text


def test_delisting_a_live_product(client, shop):
    live = make_product(shop=shop)
    response = client.post(
        reverse("storefront:seller_delist", args=[live.public_id]),
        {"reason": "换季"},
        follow=True,
    )
    live.refresh_from_db()
    assert (live.status, live.moderation_note) == (ProductStatus.DELISTED, "换季")
    assert "商品已下架" in response.text


# --- the product form fits the work ---------------------------------------------------------


def test_the_form_asks_for_the_country_only_and_the_origin_follows(client, shop):
    make_category(slug="chairs")
    page = client.get(reverse("storefront:seller_product_new")).text
    assert 'name="product-origin"' not in page and 'name="product-country"' in page
    client.post(
        reverse("storefront:seller_product_new"),
        {"product-title_zh": "和纸灯", "product-category": "chairs", "product-country": "JP"},
    )
    product = Product.objects.get(shop=shop)
    assert (product.origin, product.country) == ("international", "JP")


def test_the_designer_picker_searches_a_small_json_endpoint(client, shop):
    zhu = make_designer(name_zh="朱小杰", name_en="Zhu Xiaojie", is_renowned=True)
    make_designer(name_zh="林晓禾", name_en="Lin Xiaohe")
    lookup = reverse("storefront:seller_designer_lookup")
    page = client.get(reverse("storefront:seller_product_new")).text
    assert f'data-designer-picker data-lookup="{lookup}"' in page or (
        "data-designer-picker" in page and f'data-lookup="{lookup}"' in page
    )
    body = client.get(lookup, {"q": "小杰"}).json()
    assert body == {"designers": [{"id": zhu.public_id, "label": "朱小杰 · Zhu Xiaojie"}]}
    assert [d["id"] for d in client.get(lookup, {"q": "zhu"}).json()["designers"]] == [
        zhu.public_id
    ]
    assert len(client.get(lookup).json()["designers"]) == 2  # blank: the first few, renowned first
    assert client.get(lookup, {"q": "!!!"}).json() == {"designers": []}
    client.logout()
    assert client.get(lookup).status_code == 302


def test_the_submit_hints_go_away_once_done(client, shop, product):
    page = client.get(editor(product)).text
    assert 'data-hint="sku"' in page and 'data-hint="image"' in page
    add_sku(client, product)
    page = client.get(editor(product)).text
    assert 'data-hint="sku"' not in page and 'data-hint="image"' in page
    ProductImage.objects.create(product=product, image="products/chair.png")
    page = client.get(editor(product)).text
    assert "data-hints" not in page and "data-ready" in page
