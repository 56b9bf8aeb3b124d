"""Accepted bids are counted (designmall_bids_accepted_total) when they commit."""

from __future__ import annotations

import pytest
from django.db import transaction
from prometheus_client import REGISTRY

from designmall.auctions.services import BidRefused
from tests.auctions.conftest import bid

pytestmark = pytest.mark.django_db


class RolledBack(Exception):
    pass


def accepted() -> float:
    return REGISTRY.get_sample_value("designmall_bids_accepted_total") or 0.0


def test_an_accepted_bid_counts_and_a_refused_one_does_not(
    lot, alice, bob, django_capture_on_commit_callbacks
):
    before = accepted()
    with django_capture_on_commit_callbacks(execute=True):
        bid(lot, alice, 1_500)
        with pytest.raises(BidRefused):
            bid(lot, bob, 1_000)  # below the minimum
    assert accepted() == before + 1


def test_a_rolled_back_bid_counts_nothing(lot, alice, django_capture_on_commit_callbacks):
    before = accepted()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RolledBack),
        transaction.atomic(),
    ):
        bid(lot, alice, 1_500)
        raise RolledBack
    assert accepted() == before
