"""The home page's view of the design week, and the pager's page window."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from designmall.core import clock
from designmall.storefront.views.browse import page_window
from designmall.storefront.week import design_week

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def week(settings):
    settings.DESIGN_WEEK_START = "2030-09-20"
    settings.DESIGN_WEEK_DAYS = 10


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2030, 9, day, hour, tzinfo=SHANGHAI)


def test_before_the_week_it_counts_down():
    with clock.frozen_at(at(17)):
        week = design_week()
    assert week.is_upcoming and not week.is_on
    assert week.days_until == 3


def test_during_the_week_it_tells_the_day_in_shanghai_time():
    # 23:30 UTC on the 19th is already the first day in Shanghai.
    with clock.frozen_at(datetime(2030, 9, 19, 16, 30, tzinfo=ZoneInfo("UTC"))):
        week = design_week()
    assert week.is_on and week.day_number == 1
    with clock.frozen_at(at(29, hour=23)):
        assert design_week().day_number == 10


def test_after_the_week_it_is_over():
    with clock.frozen_at(at(30)):
        week = design_week()
    assert not week.is_on and not week.is_upcoming


def test_page_window_shows_ends_and_neighbours_with_gaps():
    assert page_window(1, 1) == [1]
    assert page_window(1, 5) == [1, 2, None, 5]
    assert page_window(4, 7) == [1, 2, 3, 4, 5, 6, 7]  # a one-page gap shows the page
    assert page_window(10, 20) == [1, None, 9, 10, 11, None, 20]
    assert page_window(3, 20) == [1, 2, 3, 4, None, 20]
    assert page_window(20, 20) == [1, None, 19, 20]
