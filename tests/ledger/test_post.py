"""ledger_post: the one writer of balanced, idempotent transactions."""

import pytest

from designmall.core.errors import Conflict, ValidationFailed
from designmall.ledger.models import Account, LedgerTransaction, Posting
from designmall.ledger.services import (
    account_balance,
    ledger_post,
    ledger_verify,
    transactions_for,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

RECEIVE = [("gateway:sandbox", 1_000), ("escrow", -1_000)]


def test_a_balanced_transaction_is_recorded_with_its_postings():
    txn = ledger_post(key="k1", kind="payment_received", postings=RECEIVE, memo="测试")

    assert txn.public_id.startswith("lt_")
    assert sorted(txn.postings.values_list("account__code", "amount")) == sorted(RECEIVE)
    assert ledger_verify() == []


def test_accounts_are_created_on_first_use_with_their_type_and_name():
    ledger_post(key="k1", kind="payment_received", postings=RECEIVE)

    gateway, escrow = (
        Account.objects.get(code="gateway:sandbox"),
        Account.objects.get(code="escrow"),
    )
    assert (gateway.type, escrow.type) == ("asset", "liability")
    assert escrow.name == "托管资金"


def test_balances_are_shown_in_the_accounts_natural_sign():
    ledger_post(key="k1", kind="payment_received", postings=RECEIVE)

    assert account_balance("gateway:sandbox") == 1_000  # asset: debits raise it
    assert account_balance("escrow") == 1_000  # liability: credits raise it
    assert account_balance("gateway:alipay") == 0


def test_the_same_key_again_returns_the_first_transaction_and_writes_nothing():
    first = ledger_post(key="k1", kind="payment_received", postings=RECEIVE)
    again = ledger_post(key="k1", kind="payment_received", postings=list(reversed(RECEIVE)))

    assert again.pk == first.pk
    assert LedgerTransaction.objects.count() == 1
    assert Posting.objects.count() == 2


def test_the_same_key_with_other_postings_is_a_conflict():
    ledger_post(key="k1", kind="payment_received", postings=RECEIVE)

    with pytest.raises(Conflict) as raised:
        ledger_post(
            key="k1", kind="payment_received", postings=[("gateway:sandbox", 999), ("escrow", -999)]
        )
    assert raised.value.code == "ledger_key_reused"


def test_the_same_key_with_another_kind_is_a_conflict():
    ledger_post(key="k1", kind="payment_received", postings=RECEIVE)

    with pytest.raises(Conflict) as raised:
        ledger_post(key="k1", kind="something_else", postings=RECEIVE)
    assert raised.value.code == "ledger_key_reused"


@pytest.mark.parametrize(
    "postings",
    [
        pytest.param([("gateway:sandbox", 1_000), ("escrow", -999)], id="not summing to zero"),
        pytest.param([("gateway:sandbox", 0), ("escrow", 0)], id="zero amounts"),
        pytest.param([("gateway:sandbox", 1_000)], id="one posting"),
        pytest.param([], id="no posting"),
        pytest.param([("gateway:sandbox", 10.0), ("escrow", -10.0)], id="floats"),
        pytest.param([("gateway:sandbox", True), ("escrow", -1)], id="bool"),
        pytest.param([("gateway:sandbox", "10"), ("escrow", -10)], id="string amount"),
        pytest.param([("cash", 10), ("escrow", -10)], id="unknown account"),
        pytest.param([("seller:not-an-id", 10), ("escrow", -10)], id="bad shop id"),
        pytest.param([("escrow", 10), ("escrow", -5), ("gateway:sandbox", -5)], id="account twice"),
        pytest.param([("gateway:sandbox", 10**16), ("escrow", -(10**16))], id="huge"),
        pytest.param([("gateway:sandbox", 10, 1), ("escrow", -10)], id="not a pair"),
    ],
)
def test_malformed_postings_are_refused_and_nothing_is_written(postings):
    with pytest.raises(ValidationFailed):
        ledger_post(key="k1", kind="manual", postings=postings)

    assert LedgerTransaction.objects.count() == 0
    assert Account.objects.count() == 0


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"key": ""}, id="empty key"),
        pytest.param({"kind": "Bad Kind"}, id="bad kind"),
        pytest.param({"memo": "x" * 501}, id="long memo"),
        pytest.param({"refs": {"Order": "o_1"}}, id="bad ref type"),
        pytest.param({"refs": {"order": 5}}, id="ref id not a string"),
    ],
)
def test_malformed_fields_are_refused(fields):
    with pytest.raises(ValidationFailed):
        ledger_post(**{"key": "k1", "kind": "manual", "postings": RECEIVE, **fields})


def test_transactions_are_found_by_their_refs_oldest_first():
    first = ledger_post(key="k1", kind="a", postings=RECEIVE, refs={"payment": "p_1"})
    ledger_post(key="k2", kind="a", postings=RECEIVE, refs={"payment": "p_2"})
    second = ledger_post(key="k3", kind="b", postings=RECEIVE, refs={"payment": "p_1", "x": "y"})

    assert [t.pk for t in transactions_for("payment", "p_1")] == [first.pk, second.pk]


def test_the_author_is_recorded():
    user = make_user(role=None)

    txn = ledger_post(key="k1", kind="a", postings=RECEIVE, by=user)

    assert txn.created_by == user


def test_the_database_refuses_a_zero_posting():
    from django.db import IntegrityError

    txn = ledger_post(key="k1", kind="a", postings=RECEIVE)
    with pytest.raises(IntegrityError):
        Posting.objects.create(transaction=txn, account=Account.objects.first(), amount=0)


def test_verify_reports_a_transaction_that_does_not_balance():
    txn = ledger_post(key="k1", kind="a", postings=RECEIVE)
    # Bypass the services, as a bug or a hand edit in the database would.
    Posting.objects.create(transaction=txn, account=Account.objects.get(code="escrow"), amount=-1)

    assert ledger_verify() == [f"transaction {txn.public_id} sums to -1"]


def test_verify_reports_a_transaction_with_a_single_posting():
    txn = ledger_post(key="k1", kind="a", postings=RECEIVE)
    Posting.objects.filter(transaction=txn, amount__lt=0).delete()

    assert f"transaction {txn.public_id} has fewer than two postings" in ledger_verify()
