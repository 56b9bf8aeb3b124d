"""Favourites (收藏) of exhibits: a visitor keeps an exhibit they saw at the show (and
through it its product or lot) and finds it again in "my favourites" with today's price
and stock. Adding twice or removing what is not there changes nothing (both idempotent);
only an exhibit whose code resolves (active, at an active booth of an approved shop) can
be added; removed exhibits stay in the list, marked as no longer shown."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Min, QuerySet

from designmall.accounts.models import User
from designmall.catalog.models import Sku
from designmall.core import clock
from designmall.inventory.selectors import available_by_sku
from designmall.o2o.favourites_models import Favourite
from designmall.o2o.models import BoothStatus, Exhibit


def favourite_add(*, user: User, exhibit: Exhibit) -> tuple[Favourite, bool]:
    """Keep ``exhibit`` among ``user``'s favourites; returns it and whether it is new."""
    found = Favourite.objects.filter(user=user, exhibit=exhibit).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            added = Favourite.objects.create(user=user, exhibit=exhibit, created_at=clock.now())
        return added, True
    except IntegrityError:  # the same add, a moment earlier (a double tap)
        return Favourite.objects.get(user=user, exhibit=exhibit), False


def favourite_remove(*, user: User, exhibit: Exhibit) -> bool:
    """Drop ``exhibit`` from ``user``'s favourites; whether it was there."""
    deleted, _rows = Favourite.objects.filter(user=user, exhibit=exhibit).delete()
    return bool(deleted)


def favourite_exhibit_ids(*, user: User | None, exhibits: list[Exhibit]) -> set[int]:
    """Which of ``exhibits`` the user keeps (for a page's hearts), in one query."""
    if not getattr(user, "pk", None) or not exhibits:
        return set()
    return set(
        Favourite.objects.filter(user=user, exhibit__in=exhibits).values_list(
            "exhibit_id", flat=True
        )
    )


def favourites_of(*, user: User) -> QuerySet[Favourite]:
    return Favourite.objects.filter(user=user).select_related(
        "exhibit__product__shop",
        "exhibit__lot",
        "exhibit__booth__shop",
        "exhibit__booth__venue",
    )


@dataclass(frozen=True)
class FavouriteRow:
    """A favourite as "my favourites" shows it: the price and stock now."""

    favourite: Favourite
    exhibit: Exhibit
    shown: bool  # the exhibit is still shown (its code resolves)
    price_fen: int | None  # the product's from-price, or the lot's current price
    available: int | None  # units buyable now (a product), None otherwise
    buyable: bool


def favourite_rows(favourites: list[Favourite]) -> list[FavouriteRow]:
    """Price and stock for each favourite, in three queries whatever the list's length."""
    product_ids = {f.exhibit.product_id for f in favourites if f.exhibit.product_id}
    skus = list(
        Sku.objects.filter(product_id__in=product_ids, is_active=True).values_list(
            "pk", "product_id"
        )
    )
    stock = available_by_sku([pk for pk, _product in skus])
    available: dict[int, int] = {}
    for pk, product_id in skus:
        available[product_id] = available.get(product_id, 0) + stock.get(pk, 0)
    prices = dict(
        Sku.objects.filter(product_id__in=product_ids, is_active=True)
        .values("product_id")
        .annotate(low=Min("price_fen"))
        .values_list("product_id", "low")
    )
    rows = []
    for favourite in favourites:
        exhibit = favourite.exhibit
        booth = exhibit.booth
        shown = (
            exhibit.is_active
            and booth.status == BoothStatus.ACTIVE
            and booth.shop.status == "approved"
        )
        price = units = None
        buyable = False
        if exhibit.product_id:
            product = exhibit.product
            price = prices.get(product.pk, product.price_min_fen)
            units = available.get(product.pk, 0)
            buyable = product.is_sellable and units > 0
        elif exhibit.lot_id:
            lot = exhibit.lot
            price = lot.price_fen if lot.price_fen is not None else lot.start_price_fen
        rows.append(FavouriteRow(favourite, exhibit, shown, price, units, buyable))
    return rows
