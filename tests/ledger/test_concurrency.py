"""Real concurrent connections on PostgreSQL: keys and balances hold under races."""

import threading

import pytest
from django.db import connection

from designmall.core.errors import Conflict
from designmall.core.ids import new_public_id
from designmall.ledger.models import LedgerTransaction, Posting
from designmall.ledger.services import (
    escrow_receive_payment,
    escrow_release_to_seller,
    ledger_post,
    ledger_verify,
    payout_to_seller,
    seller_balance,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _run_at_once(n, work):
    """Run ``work(i)`` in ``n`` threads released together; return results or errors."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # each thread's outcome is inspected
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_twenty_threads_posting_one_key_record_one_transaction(on_postgres):
    postings = [("gateway:sandbox", 500), ("escrow", -500)]

    results = _run_at_once(
        20, lambda i: ledger_post(key="same", kind="payment_received", postings=postings)
    )

    assert all(isinstance(r, LedgerTransaction) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert LedgerTransaction.objects.count() == 1
    assert Posting.objects.count() == 2


def test_ten_payouts_of_100_against_a_balance_of_500_pay_exactly_five(on_postgres):
    shop_id = new_public_id("s")
    escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=500)
    escrow_release_to_seller(
        order_ref="o_1", shop_public_id=shop_id, amount_fen=500, commission_bp=0
    )

    results = _run_at_once(
        10,
        lambda i: payout_to_seller(payout_ref=f"po_{i}", shop_public_id=shop_id, amount_fen=100),
    )

    paid = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(paid) == 5
    assert len(refused) == 5
    assert {r.code for r in refused} == {"insufficient_balance"}
    assert seller_balance(shop_id) == 0
    assert ledger_verify() == []
