from datetime import UTC, datetime, timedelta

import pytest

from designmall.core import clock
from designmall.core.audit import audit_record, audit_trail
from designmall.core.models import PeriodicTaskRun
from designmall.core.tasks import REGISTRY, PeriodicTask, run_due_tasks
from tests.factories import make_user

pytestmark = pytest.mark.django_db
MOMENT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_audit_records_actor_action_and_states_with_clock_time():
    user = make_user()
    with clock.frozen_at(MOMENT):
        audit_record(actor=user, action="user.tested", target=user, from_state="a", to_state="b")
    event = audit_trail(user).get(action="user.tested")
    assert (event.actor, event.from_state, event.to_state, event.at) == (user, "a", "b", MOMENT)
    assert event.target_id == user.public_id


@pytest.fixture
def counting_task():
    calls = []
    task = PeriodicTask("test.counting", timedelta(minutes=5), lambda: calls.append(clock.now()))
    saved = dict(REGISTRY)
    REGISTRY.clear()
    REGISTRY[task.name] = task
    yield calls
    REGISTRY.clear()
    REGISTRY.update(saved)


def test_periodic_task_runs_once_per_period_however_often_polled(counting_task):
    with clock.frozen_at(MOMENT):
        run_due_tasks()
        run_due_tasks()
        assert len(counting_task) == 1
        clock.advance(timedelta(minutes=5))
        run_due_tasks()
    assert len(counting_task) == 2


def test_failing_task_is_recorded_and_does_not_stop_the_worker():
    def broken():
        raise RuntimeError("boom")

    saved = dict(REGISTRY)
    REGISTRY.clear()
    REGISTRY["test.broken"] = PeriodicTask("test.broken", timedelta(minutes=1), broken)
    try:
        assert run_due_tasks() == ["test.broken"]
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved)
    assert "boom" in PeriodicTaskRun.objects.get(name="test.broken").last_error
