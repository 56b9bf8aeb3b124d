"""The audience award's sweeper, run by ``designmall worker``: the votes' flags of every
open (or just closed) category re-evaluated as a whole, catching what two concurrent votes'
own checks could each miss. Idempotent: a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta

from designmall.core.tasks import periodic, sweep
from designmall.o2o.votes import categories_to_refresh, vote_flags_refresh
from designmall.o2o.votes_models import AwardCategory


@periodic(every=timedelta(minutes=2), name="o2o.vote_flags_refresh")
def vote_flags_refresh_open() -> int:
    """Re-evaluate the flags of the votes in every category still taking votes."""
    return sweep(
        categories_to_refresh(),
        lambda pk: vote_flags_refresh(category=AwardCategory.objects.get(pk=pk)),
        "refreshing vote flags of category",
    )
