"""Favourites (收藏) of exhibits: added once, removed, listed with today's price and stock;
on the exhibit and booth pages as a form post (JSON for the page's script); a visitor not
logged in is asked to log in and comes back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from designmall.o2o import favourites, services
from designmall.o2o.favourites_models import Favourite
from tests.factories import PASSWORD, make_product, make_user
from tests.o2o.test_booths import assign
from tests.o2o.votes_kit import shown_exhibits

pytestmark = pytest.mark.django_db


def product_exhibit(price=129_900, stock=3):
    booth = assign()
    product = make_product(shop=booth.shop, title_zh="胡桃木椅", skus=[(price, stock)])
    return services.exhibit_create(
        booth=booth, by=booth.shop.owner, kind="product", product=product.public_id
    )


def logged_in(client):
    user = make_user()
    client.login(email=user.email, password=PASSWORD)
    return user


def test_a_favourite_is_added_once_and_removed():
    (item,) = shown_exhibits(1)
    user = make_user()
    first, created = favourites.favourite_add(user=user, exhibit=item)
    again, created_again = favourites.favourite_add(user=user, exhibit=item)
    assert created and not created_again and first.pk == again.pk
    assert favourites.favourite_remove(user=user, exhibit=item)
    assert not favourites.favourite_remove(user=user, exhibit=item)
    assert not Favourite.objects.exists()


def test_my_favourites_list_price_and_stock_now_and_mark_pieces_no_longer_shown():
    item = product_exhibit(price=129_900, stock=3)
    (shown_only,) = shown_exhibits(1)
    user = make_user()
    favourites.favourite_add(user=user, exhibit=item)
    favourites.favourite_add(user=user, exhibit=shown_only)
    services.exhibit_remove(exhibit=shown_only, by=shown_only.booth.shop.owner)
    rows = {
        r.exhibit.pk: r
        for r in favourites.favourite_rows(list(favourites.favourites_of(user=user)))
    }
    assert (rows[item.pk].price_fen, rows[item.pk].available, rows[item.pk].buyable) == (
        129_900,
        3,
        True,
    )
    assert rows[item.pk].shown and not rows[shown_only.pk].shown


def test_a_visitor_favourites_an_exhibit_from_its_page_and_finds_it_in_my_favourites(client):
    item = product_exhibit()
    logged_in(client)
    page = client.get(f"/o/e/{item.code}/").content.decode()
    assert 'value="add"' in page and reverse("storefront:show_favourite", args=[item.code]) in page
    response = client.post(f"/o/e/{item.code}/favourite/", {"action": "add"})
    assert response.status_code == 302 and response["Location"] == f"/o/e/{item.code}/"
    assert 'aria-pressed="true"' in client.get(f"/o/e/{item.code}/").content.decode()
    mine = client.get("/o/favourites/").content.decode()
    assert 'data-favourites="1"' in mine and "胡桃木椅" in mine and "¥1,299.00" in mine


def test_the_page_script_toggles_a_favourite_with_json(client):
    (item,) = shown_exhibits(1)
    user = logged_in(client)
    url = f"/o/e/{item.code}/favourite/"
    added = client.post(url, {"action": "add"}, HTTP_ACCEPT="application/json")
    assert added.json()["favourite"] is True
    removed = client.post(url, {"action": "remove"}, HTTP_ACCEPT="application/json")
    assert removed.json()["favourite"] is False
    assert not Favourite.objects.filter(user=user).exists()


def test_a_favourite_from_the_booth_page_comes_back_to_the_booth(client):
    booth = assign()
    (item,) = shown_exhibits(1, booth=booth)
    logged_in(client)
    assert (
        reverse("storefront:show_favourite", args=[item.code])
        in client.get(f"/o/b/{booth.code}/").content.decode()
    )
    response = client.post(
        f"/o/e/{item.code}/favourite/", {"action": "add", "next": f"/o/b/{booth.code}/"}
    )
    assert response["Location"] == f"/o/b/{booth.code}/"
    evil = client.post(
        f"/o/e/{item.code}/favourite/", {"action": "add", "next": "https://evil.example/"}
    )
    assert evil["Location"] == f"/o/e/{item.code}/"


def test_a_visitor_not_logged_in_is_asked_to_log_in_and_returns_to_the_page(client):
    (item,) = shown_exhibits(1)
    response = client.post(f"/o/e/{item.code}/favourite/", {"action": "add"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/") or "login" in response["Location"]
    assert f"next=%2Fo%2Fe%2F{item.code}%2F" in response["Location"]
    as_json = client.post(
        f"/o/e/{item.code}/favourite/", {"action": "add"}, HTTP_ACCEPT="application/json"
    )
    assert as_json.status_code == 401 and "next=" in as_json.json()["login"]
    assert "next=" in client.get("/o/favourites/")["Location"]
    assert not Favourite.objects.exists()


def test_a_favourite_of_a_piece_no_longer_shown_can_still_be_removed(client):
    (item,) = shown_exhibits(1)
    user = logged_in(client)
    favourites.favourite_add(user=user, exhibit=item)
    services.exhibit_remove(exhibit=item, by=item.booth.shop.owner)
    assert client.post(f"/o/e/{item.code}/favourite/", {"action": "add"}).status_code == 404
    client.post(f"/o/e/{item.code}/favourite/", {"action": "remove", "next": "/o/favourites/"})
    assert not Favourite.objects.exists()
