"""Builders for the passport tests: booths, routes with rewards, a booth's code at a step."""

from __future__ import annotations

import itertools
from datetime import time, timedelta

from designmall.core import clock
from designmall.o2o import passport, passport_rules, services
from designmall.o2o.passport_models import Reward, RewardKind, Route
from tests.factories import make_operator, make_shop, make_venue

_numbers = itertools.count(1)


def make_booth(*, venue=None, shop=None):
    today = clock.now().date()
    return services.booth_assign(
        by=make_operator(),
        shop=shop or make_shop(),
        venue=venue or make_venue(),
        number=f"P{next(_numbers)}",
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=9),
        opens_at=time(0, 0),
        closes_at=time(23, 59),
    )


def make_route(*, booths=(), events=(), needed=None, name="玻璃之旅", rewards=()):
    route = Route.objects.create(
        name_zh=name, name_en="Glass trail", stamps_needed=needed, created_at=clock.now()
    )
    route.booths.set(booths)
    route.events.set(events)
    for reward in rewards:
        Reward.objects.create(route=route, **reward)
    return route


def gift(name="设计周帆布袋"):
    return {"kind": RewardKind.GIFT, "gift_zh": name, "gift_en": "Design week tote"}


def coupon(template):
    return {"kind": RewardKind.COUPON, "coupon_template": template}


def seat(session):
    return {"kind": RewardKind.SEAT, "session": session}


def token_now(booth) -> str:
    """The token the booth's tablet shows now."""
    return passport.booth_code_now(booth).token


def token_steps_ago(booth, steps: int) -> str:
    step = passport_rules.step_at(clock.now().timestamp()) - steps
    return passport_rules.token_make(passport._secret(), booth.code, step)


def stamp(user, booth, token=None):
    return passport.booth_stamp(user=user, booth_code=booth.code, token=token or token_now(booth))
