"""The periodic ledger check."""

import pytest

from designmall.core.models import PeriodicTaskRun
from designmall.core.tasks import run_due_tasks
from designmall.ledger.models import Account, Posting
from designmall.ledger.services import escrow_receive_payment
from designmall.ledger.tasks import LedgerUnsound, ledger_check

pytestmark = pytest.mark.django_db


def test_the_check_passes_on_sound_books():
    escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=100)

    ledger_check()


def test_the_check_fails_and_the_worker_records_the_problem():
    txn = escrow_receive_payment(payment_ref="p_1", gateway="sandbox", amount_fen=100)
    Posting.objects.create(transaction=txn, account=Account.objects.get(code="escrow"), amount=-1)

    with pytest.raises(LedgerUnsound):
        ledger_check()
    assert "ledger.verify" in run_due_tasks()
    assert "sums to -1" in PeriodicTaskRun.objects.get(name="ledger.verify").last_error
