"""The back office under test: a small demo week (seeded once per module) and the orders
tests' shops, buyers and sandbox payments."""

from tests.demo.conftest import _demo_test_setup, demo_media, seeded  # noqa: F401
from tests.orders.conftest import (  # noqa: F401
    _orders_settings,
    _payments_settings,
    buyer,
    keys,
    sandbox_key_dir,
    store,
)
