"""Back office for the catalog. Actions call catalog services, never save models themselves."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from designmall.catalog import services
from designmall.catalog.models import (
    Category,
    Designer,
    Product,
    ProductImage,
    ProductStatus,
    Shop,
    ShopStatus,
    Sku,
)
from designmall.core.admin import ModelAdmin, TabularInline, yuan_range_filter
from designmall.core.adminactions import ask_reason, run_each


def _names_changed(form, change: bool, *, owner: str, owner_id: int) -> None:
    """Search entries hold these names: a rename has the worker rebuild them."""
    if change and {"name_zh", "name_en"} & set(form.changed_data):
        services.names_changed(owner=owner, owner_id=owner_id)


@admin.register(Designer)
class DesignerAdmin(ModelAdmin):
    list_display = ("name_zh", "name_en", "country", "is_renowned", "public_id")
    list_filter = ("is_renowned", "country")
    search_fields = ("name_zh", "name_en", "public_id")
    readonly_fields = ("public_id",)

    def save_model(self, request, obj, form, change):
        from designmall.core import clock

        if not obj.created_at:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)
        _names_changed(form, change, owner="designer", owner_id=obj.pk)


@admin.register(Shop)
class ShopAdmin(ModelAdmin):
    list_display = (
        "name_zh",
        "name_en",
        "owner",
        "country",
        "status",
        "commission_bp",
        "created_at",
    )
    list_filter = ("status", "country")
    search_fields = ("name_zh", "name_en", "public_id", "owner__email", "owner__mobile")
    readonly_fields = (
        "public_id",
        "owner",
        "status",
        "reject_reason",
        "created_at",
        "reviewed_at",
        "reviewed_by",
    )
    fields = (
        "public_id",
        "owner",
        "designer",
        "name_zh",
        "name_en",
        "description_zh",
        "description_en",
        "country",
        "commission_bp",
        "status",
        "reject_reason",
        "created_at",
        "reviewed_at",
        "reviewed_by",
    )
    autocomplete_fields = ("designer",)
    actions = ["approve", "reject", "suspend", "reinstate"]

    def has_add_permission(self, request):
        return False  # shops are opened by a seller's application

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _names_changed(form, change, owner="shop", owner_id=obj.pk)

    @admin.action(description=_("批准开店"), permissions=["review"])
    def approve(self, request, queryset):
        run_each(
            request,
            queryset.filter(status=ShopStatus.PENDING),
            lambda shop: services.shop_approve(shop=shop, by=request.user),
            _("已批准 %(n)d 个店铺。"),
        )

    @admin.action(description=_("驳回开店申请…"), permissions=["review"])
    def reject(self, request, queryset):
        def apply(shops, reason):
            run_each(
                request,
                shops,
                lambda shop: services.shop_reject(shop=shop, by=request.user, reason=reason),
                _("已驳回 %(n)d 个申请。"),
            )

        return ask_reason(
            self, request, queryset, title=_("驳回开店申请"), apply=apply, max_length=1000
        )

    @admin.action(description=_("暂停店铺…"), permissions=["review"])
    def suspend(self, request, queryset):
        def apply(shops, reason):
            run_each(
                request,
                shops,
                lambda shop: services.shop_suspend(shop=shop, by=request.user, reason=reason),
                _("已暂停 %(n)d 个店铺。"),
            )

        return ask_reason(
            self, request, queryset, title=_("暂停店铺"), apply=apply, max_length=1000
        )

    @admin.action(description=_("恢复店铺"), permissions=["review"])
    def reinstate(self, request, queryset):
        run_each(
            request,
            queryset,
            lambda shop: services.shop_reinstate(shop=shop, by=request.user),
            _("已恢复 %(n)d 个店铺。"),
        )

    def has_review_permission(self, request):
        return request.user.has_perm("catalog.review_shop")


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ("name_zh", "name_en", "slug", "parent", "position")
    list_filter = ("parent",)
    search_fields = ("name_zh", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _names_changed(form, change, owner="category", owner_id=obj.pk)


class SkuInline(TabularInline):
    model = Sku
    fields = ("public_id", "code", "attributes", "attributes_en", "price_fen", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ProductImageInline(TabularInline):
    model = ProductImage
    fields = ("image", "alt", "position")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    """Operators moderate; sellers edit their products in the seller center."""

    list_display = (
        "title_zh",
        "title_en",
        "shop",
        "status",
        "price_min_fen",
        "in_stock",
        "updated_at",
    )
    list_filter = ("status", "origin", "category", yuan_range_filter("price_min_fen", _("价格")))
    search_fields = ("title_zh", "title_en", "public_id", "shop__name_zh", "shop__name_en")
    list_select_related = ("shop",)
    readonly_fields = [f.name for f in Product._meta.fields if f.name != "id"]
    inlines = [SkuInline, ProductImageInline]
    actions = ["approve", "reject", "delist"]
    date_hierarchy = "updated_at"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_moderate_permission(self, request):
        return request.user.has_perm("catalog.moderate_product")

    @admin.action(description=_("审核通过并上架"), permissions=["moderate"])
    def approve(self, request, queryset):
        run_each(
            request,
            queryset.filter(status=ProductStatus.PENDING_REVIEW),
            lambda p: services.product_approve(product=p, by=request.user),
            _("已上架 %(n)d 个商品。"),
        )

    @admin.action(description=_("驳回…"), permissions=["moderate"])
    def reject(self, request, queryset):
        def apply(products, reason):
            run_each(
                request,
                products,
                lambda p: services.product_reject(product=p, by=request.user, reason=reason),
                _("已驳回 %(n)d 个商品。"),
            )

        return ask_reason(
            self, request, queryset, title=_("驳回商品"), apply=apply, max_length=1000
        )

    @admin.action(description=_("下架…"), permissions=["moderate"])
    def delist(self, request, queryset):
        def apply(products, reason):
            run_each(
                request,
                products,
                lambda p: services.product_delist(product=p, by=request.user, reason=reason),
                _("已下架 %(n)d 个商品。"),
            )

        return ask_reason(
            self, request, queryset, title=_("下架商品"), apply=apply, max_length=1000
        )
