"""``designmall seed``: deterministic, refuses to overwrite, resets on request."""

import io

import pytest
from django.core.management import CommandError, call_command

from designmall.catalog.models import Designer, Product, Sku
from designmall.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from designmall.demo.services import catalog_exists, demo_seed_if_absent

from .conftest import TEST_SEED

pytestmark = pytest.mark.django_db

PRODUCTS = 60


def _seed(**options):
    call_command("seed", products=PRODUCTS, verbosity=0, **options)


def _catalog_snapshot():
    products = list(
        Product.objects.order_by("id").values_list(
            "title_zh", "title_en", "status", "price_min_fen", "shop__name_en"
        )
    )
    skus = list(
        Sku.objects.order_by("product_id", "id").values_list(
            "code", "price_fen", "stock_level__available"
        )
    )
    designers = list(Designer.objects.order_by("id").values_list("name_zh", "name_en"))
    return products, skus, designers


def test_the_same_seed_gives_the_same_titles_prices_and_people():
    _seed(seed=TEST_SEED)
    first = _catalog_snapshot()
    _seed(seed=TEST_SEED, reset=True)
    assert _catalog_snapshot() == first


def test_another_seed_gives_another_catalog():
    _seed(seed=TEST_SEED)
    first = _catalog_snapshot()
    _seed(seed=TEST_SEED + 1, reset=True)
    assert _catalog_snapshot() != first


def test_seed_refuses_to_run_over_an_existing_catalog():
    _seed(seed=TEST_SEED)
    ids = set(Product.objects.values_list("public_id", flat=True))
    with pytest.raises(CommandError, match="--reset"):
        _seed(seed=TEST_SEED)
    assert set(Product.objects.values_list("public_id", flat=True)) == ids


def test_reset_replaces_the_catalog_instead_of_adding_to_it():
    _seed(seed=TEST_SEED)
    old_ids = set(Product.objects.values_list("public_id", flat=True))
    _seed(seed=TEST_SEED, reset=True)
    assert Product.objects.count() == PRODUCTS
    assert not old_ids & set(Product.objects.values_list("public_id", flat=True))


def test_seed_if_absent_seeds_an_empty_database_and_then_keeps_what_is_there():
    assert not catalog_exists()
    assert demo_seed_if_absent(products=PRODUCTS, seed=TEST_SEED) is not None
    ids = set(Product.objects.values_list("public_id", flat=True))
    assert demo_seed_if_absent(products=PRODUCTS, seed=TEST_SEED + 1) is None
    assert set(Product.objects.values_list("public_id", flat=True)) == ids


def test_a_catalog_needs_at_least_one_product():
    with pytest.raises(CommandError):
        call_command("seed", products=0, verbosity=0)
    assert not catalog_exists()


def test_seed_reports_counts_timings_and_the_demo_accounts():
    out = io.StringIO()
    call_command("seed", products=PRODUCTS, seed=TEST_SEED, stdout=out)
    report = out.getvalue()
    assert f"{PRODUCTS} products" in report
    assert "rows/s" in report
    assert all(account.email in report for account in DEMO_ACCOUNTS)
    assert DEMO_PASSWORD in report


def test_seed_can_leave_the_accounts_out_of_its_report():
    out = io.StringIO()
    call_command("seed", products=PRODUCTS, seed=TEST_SEED, no_accounts=True, stdout=out)
    assert DEMO_ACCOUNTS[0].email not in out.getvalue()


def test_the_summary_lists_everything_the_readme_promises_and_the_steps_are_labelled():
    from designmall.demo.management.commands import seed
    from designmall.demo.services import demo_seed

    stages = []
    report = demo_seed(seed=TEST_SEED, products=PRODUCTS, on_stage=stages.append)
    labels = [seed._label(stage) for stage in stages]
    assert stages[:2] == ["pictures", "rows"] and "orders" in stages
    assert all(label != stage for label, stage in zip(labels, stages, strict=True))
    assert all("/6 " in label for label in labels)
    text = seed._summary(report, TEST_SEED)
    for promised in (
        "products",
        "designers",
        "shops",
        "events",
        "sessions",
        "venues",
        "auction sale: 24 lots" if report.counts["auction lots"] == 24 else "auction sale:",
        "bids by simulated bidders",
        "orders: 8 of the demo buyer",
        "pending payment",
        "after-sales",
        "check-in lists",
        "pre-sales:",
    ):
        assert promised in text, promised
    report.counts["booths"] = 3  # any other module's rows are listed too
    also = next(line for line in seed._summary(report, TEST_SEED).splitlines() if "also:" in line)
    assert "3 booths" in also


def test_the_command_prints_the_summary(capsys):
    out = io.StringIO()
    call_command("seed", products=PRODUCTS, verbosity=1, no_accounts=True, stdout=out)
    assert "auction sale:" in out.getvalue() and "orders:" in out.getvalue()
