"""The back office shows stock, holds and adjustments, and changes none of them."""

import pytest
from django.urls import reverse

from designmall.inventory.models import StockAdjustment, StockHold, StockLevel
from designmall.inventory.services import holds_take, stock_adjust
from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def walnut(db):
    sku = make_product(title_zh="胡桃木椅", skus=[(10_000, 5)]).skus.get()
    stock_adjust(sku=sku, delta=-1, reason="damaged", note="桌腿开裂", by=sku.product.shop.owner)
    holds_take(lines=[(sku.id, 2)], owner_ref="checkout:walnut")
    return sku


@pytest.fixture
def oak(db):
    return make_product(title_zh="橡木凳", skus=[(8_000, 3)]).skus.get()


def changelist(model) -> str:
    return reverse(f"admin:inventory_{model._meta.model_name}_changelist")


def test_stock_levels_are_searched_by_sku_code_or_product_title(admin_client, walnut, oak):
    for query in (walnut.code, "胡桃木"):
        page = admin_client.get(changelist(StockLevel), {"q": query}).text
        assert walnut.code in page and oak.code not in page, query


def test_holds_are_searched_by_owner(admin_client, walnut):
    page = admin_client.get(changelist(StockHold), {"q": "checkout:walnut"}).text
    assert StockHold.objects.get().public_id in page


def test_adjustments_show_their_reason_and_note(admin_client, walnut):
    page = admin_client.get(changelist(StockAdjustment), {"reason": "damaged"}).text
    assert "桌腿开裂" in page


@pytest.mark.parametrize("model", [StockLevel, StockHold, StockAdjustment])
def test_nothing_can_be_added_changed_or_deleted(admin_client, walnut, model):
    row = model.objects.first()
    name = f"admin:inventory_{model._meta.model_name}"
    assert admin_client.get(reverse(f"{name}_add")).status_code == 403
    assert admin_client.get(reverse(f"{name}_delete", args=[row.pk])).status_code == 403
    detail = admin_client.get(reverse(f"{name}_change", args=[row.pk]))
    assert detail.status_code == 200
    assert 'type="submit" value="保存"' not in detail.text
    assert admin_client.post(reverse(f"{name}_change", args=[row.pk]), {}).status_code == 403
