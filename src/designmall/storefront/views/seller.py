"""The seller center: apply for a shop, then list and edit products, SKUs, stock and images.

Every change goes through catalog.services (inventory.services for stock); a
refused change is shown on the page it came from, with what was typed still in
the form.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from designmall.catalog import services
from designmall.catalog.models import Product, ShopStatus, Sku
from designmall.catalog.namesearch import designers_named
from designmall.catalog.rules import ProductAction, next_product_status
from designmall.core.errors import DomainError, NotFound
from designmall.core.money import Money
from designmall.inventory import services as inventory
from designmall.inventory.selectors import stock_of
from designmall.storefront import selectors
from designmall.storefront.forms import (
    ImageForm,
    ProductForm,
    ShopApplyForm,
    SkuForm,
    StockAdjustForm,
    format_attributes,
    format_attributes_en,
)


def _own_product(request: HttpRequest, public_id: str) -> Product:
    try:
        return services.product_for_seller(user=request.user, product_public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个商品。")) from None


def _own_sku(request: HttpRequest, public_id: str) -> Sku:
    try:
        return services.sku_for_seller(user=request.user, sku_public_id=public_id)
    except NotFound:
        raise Http404(_("没有找到这个 SKU。")) from None


def _product_form(data=None, *, initial=None) -> ProductForm:
    return ProductForm(
        data,
        initial=initial,
        prefix="product",
        categories=selectors.category_choices(),
        designers=selectors.designer_choices(),
    )


def _refused(form: forms.Form, exc: DomainError) -> None:
    form.add_error(None, exc.message)


# --- the shop ---------------------------------------------------------------------------


def _center(request: HttpRequest, *, apply_form: ShopApplyForm | None = None) -> HttpResponse:
    shop = selectors.seller_shop(request.user)
    can_apply = shop is None or shop.status == ShopStatus.REJECTED
    return render(
        request,
        "storefront/seller/center.html",
        {
            "shop": shop,
            "apply_form": (apply_form or ShopApplyForm()) if can_apply else None,
            "products": (
                selectors.seller_products(shop)
                if shop and shop.status in (ShopStatus.APPROVED, ShopStatus.SUSPENDED)
                else []
            ),
        },
    )


@login_required
@require_GET
def center(request: HttpRequest) -> HttpResponse:
    return _center(request)


@login_required
@require_POST
def shop_apply(request: HttpRequest) -> HttpResponse:
    form = ShopApplyForm(request.POST)
    if form.is_valid():
        try:
            services.shop_apply(owner=request.user, **form.cleaned_data)
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("开店申请已提交，运营人员审核后会开通店铺。"))
            return redirect("storefront:seller")
    return _center(request, apply_form=form)


# --- products ---------------------------------------------------------------------------


@login_required
@require_GET
def designer_lookup(request: HttpRequest) -> JsonResponse:
    """The product form's designer picker: up to 20 designers whose Chinese or English name
    holds every word of ``q`` (as search cuts it), ``{"designers": [{"id", "label"}]}``."""
    found = designers_named(request.GET.get("q", "")[:100], limit=20)
    return JsonResponse(
        {"designers": [{"id": d.public_id, "label": designer_label(d)} for d in found]},
        headers={"Cache-Control": "private, max-age=60"},
    )


def designer_label(designer) -> str:
    """How the picker shows a designer: both names when they differ (朱小杰 · Zhu Xiaojie)."""
    names = [n for n in (designer.name_zh, designer.name_en) if n]
    return " · ".join(dict.fromkeys(names))


@login_required
@require_http_methods(["GET", "POST"])
def product_new(request: HttpRequest) -> HttpResponse:
    shop = selectors.seller_shop(request.user)
    if shop is None or shop.status != ShopStatus.APPROVED:
        messages.error(request, _("店铺开通后才能发布商品。"))
        return redirect("storefront:seller")
    form = _product_form(
        request.POST or None,
        initial={
            "country": shop.country,
            "designer": shop.designer.public_id if shop.designer else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(shop=shop, by=request.user, **form.service_fields())
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("商品草稿已保存。接下来添加 SKU 和图片，然后提交审核。"))
            return redirect("storefront:seller_product", public_id=product.public_id)
    return render(request, "storefront/seller/product_new.html", {"form": form, "shop": shop})


def _editor(
    request: HttpRequest,
    product: Product,
    *,
    product_form: ProductForm | None = None,
    sku_form: SkuForm | None = None,
    sku_edit_form: tuple[str, SkuForm] | None = None,
    stock_form: tuple[str, StockAdjustForm] | None = None,
    image_form: ImageForm | None = None,
) -> HttpResponse:
    """The product editor page; a form given here (bound, with errors) replaces the blank one."""
    skus = list(product.skus.order_by("id"))
    levels = stock_of(sku.id for sku in skus)
    for sku in skus:
        sku.counters = levels[sku.id]
        if sku_edit_form and sku_edit_form[0] == sku.public_id:
            sku.form = sku_edit_form[1]
        else:
            sku.form = SkuForm(
                prefix=f"sku-{sku.public_id}",
                initial={
                    "code": sku.code,
                    "price": Money(sku.price_fen).yuan_str(),
                    "stock": sku.counters.available,
                    "attributes": format_attributes(sku.attributes),
                    "attributes_en": format_attributes_en(sku.attributes, sku.attributes_en),
                    "is_active": sku.is_active,
                },
            )
        if stock_form and stock_form[0] == sku.public_id:
            sku.stock_form = stock_form[1]
        else:
            sku.stock_form = StockAdjustForm(prefix=f"stock-{sku.public_id}")
    images = list(product.images.all())
    return render(
        request,
        "storefront/seller/product_edit.html",
        {
            "product": product,
            "product_form": product_form
            or _product_form(
                initial={
                    "title_zh": product.title_zh,
                    "title_en": product.title_en,
                    "description_zh": product.description_zh,
                    "description_en": product.description_en,
                    "category": product.category.slug,
                    "designer": product.designer.public_id if product.designer else "",
                    "country": product.country,
                    "per_buyer_limit": product.per_buyer_limit,
                }
            ),
            "skus": skus,
            "sku_form": sku_form or SkuForm(prefix="sku"),
            "images": images,
            # What submitting still needs: each hint goes away once it is done.
            "needs_sku": not any(sku.is_active for sku in skus),
            "needs_image": not images,
            "image_form": image_form or ImageForm(prefix="image"),
            "can_submit": next_product_status(product.status, ProductAction.SUBMIT) is not None,
            "can_delist": next_product_status(product.status, ProductAction.DELIST) is not None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    product = _own_product(request, public_id)
    if request.method == "GET":
        return _editor(request, product)
    form = _product_form(request.POST)
    if form.is_valid():
        try:
            updated = services.product_update(
                product=product, by=request.user, **form.service_fields()
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            if updated.status != product.status:
                messages.info(request, _("商品信息已保存，修改后需重新审核。"))
            else:
                messages.success(request, _("商品信息已保存。"))
            return redirect("storefront:seller_product", public_id=product.public_id)
    return _editor(request, product, product_form=form)


@login_required
@require_POST
def sku_add(request: HttpRequest, public_id: str) -> HttpResponse:
    product = _own_product(request, public_id)
    form = SkuForm(request.POST, prefix="sku")
    if form.is_valid():
        try:
            inventory.sku_create_with_stock(
                product=product, by=request.user, **form.service_fields()
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("SKU 已添加。"))
            return redirect("storefront:seller_product", public_id=product.public_id)
    return _editor(request, product, sku_form=form)


@login_required
@require_POST
def sku_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    sku = _own_sku(request, public_id)
    form = SkuForm(request.POST, prefix=f"sku-{sku.public_id}")
    if form.is_valid():
        try:
            inventory.sku_update_with_stock(
                sku=sku, by=request.user, **form.service_fields(editing=True)
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("SKU 已更新。"))
            return redirect("storefront:seller_product", public_id=sku.product.public_id)
    return _editor(request, sku.product, sku_edit_form=(sku.public_id, form))


@login_required
@require_POST
def sku_stock(request: HttpRequest, public_id: str) -> HttpResponse:
    """Record received, damaged or corrected stock of a SKU."""
    sku = _own_sku(request, public_id)
    form = StockAdjustForm(request.POST, prefix=f"stock-{sku.public_id}")
    if form.is_valid():
        try:
            inventory.stock_adjust(sku=sku, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("库存已调整。"))
            return redirect("storefront:seller_product", public_id=sku.product.public_id)
    return _editor(request, sku.product, stock_form=(sku.public_id, form))


@login_required
@require_POST
def image_add(request: HttpRequest, public_id: str) -> HttpResponse:
    product = _own_product(request, public_id)
    form = ImageForm(request.POST, request.FILES, prefix="image")
    if form.is_valid():
        try:
            services.product_image_add(
                product=product,
                by=request.user,
                upload=form.cleaned_data["image"],
                alt=form.cleaned_data["alt"],
            )
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("图片已上传。"))
            return redirect("storefront:seller_product", public_id=product.public_id)
    return _editor(request, product, image_form=form)


@login_required
@require_POST
def image_remove(request: HttpRequest, public_id: str) -> HttpResponse:
    product = _own_product(request, public_id)
    try:
        services.product_image_remove(
            product=product, by=request.user, image_public_id=request.POST.get("image", "")
        )
    except DomainError:
        messages.error(request, _("没有找到这张图片，可能已经删除。"))
    else:
        messages.success(request, _("图片已删除。"))
    return redirect("storefront:seller_product", public_id=product.public_id)


@login_required
@require_POST
def product_submit(request: HttpRequest, public_id: str) -> HttpResponse:
    product = _own_product(request, public_id)
    try:
        services.product_submit(product=product, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已提交审核，审核通过后商品即上架。"))
    return redirect("storefront:seller_product", public_id=product.public_id)


@login_required
@require_POST
def product_delist(request: HttpRequest, public_id: str) -> HttpResponse:
    product = _own_product(request, public_id)
    try:
        services.product_delist(
            product=product, by=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("商品已下架。"))
    return redirect("storefront:seller_product", public_id=product.public_id)
