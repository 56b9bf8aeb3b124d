from datetime import UTC, datetime, timedelta

import pytest

from designmall.core import clock
from designmall.core.errors import DomainError, NotFound
from designmall.core.ids import looks_like_public_id, new_public_id

MOMENT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_frozen_clock_reports_the_frozen_moment():
    with clock.frozen_at(MOMENT):
        assert clock.now() == MOMENT


def test_advancing_moves_a_frozen_clock():
    with clock.frozen_at(MOMENT):
        clock.advance(timedelta(minutes=15))
        assert clock.now() == MOMENT + timedelta(minutes=15)


def test_advancing_moves_a_running_clock_ahead_of_real_time():
    before = clock.now()
    clock.advance(timedelta(days=2))
    assert clock.now() - before >= timedelta(days=2)


def test_clock_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        clock.set_frozen(datetime(2026, 1, 1))


def test_public_ids_carry_prefix_and_are_well_formed():
    pid = new_public_id("o")
    assert pid.startswith("o_")
    assert looks_like_public_id(pid)


def test_public_ids_do_not_repeat():
    assert len({new_public_id("o") for _ in range(10_000)}) == 10_000


def test_public_ids_are_not_sequential_guessable_numbers():
    assert not looks_like_public_id("o_0000000000000001x")
    assert not looks_like_public_id("42")


def test_domain_error_renders_the_one_error_shape():
    error = NotFound("没有找到这个商品。", code="product_not_found", details={"id": "p_x"})
    assert error.status == 404
    assert error.as_dict() == {
        "error": {
            "code": "product_not_found",
            "message": "没有找到这个商品。",
            "details": {"id": "p_x"},
        }
    }


def test_domain_error_default_code_is_the_class_code():
    assert DomainError().code == "domain_error"
