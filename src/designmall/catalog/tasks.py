"""Catalog work for the worker: search entries rebuilt after a rename."""

from __future__ import annotations

from typing import Any

from designmall.catalog import search
from designmall.catalog.services import REINDEX_NAMES_JOB, products_showing_names_of
from designmall.core.jobs import job_handler

CHUNK = 500


@job_handler(REINDEX_NAMES_JOB, max_attempts=5)
def reindex_names(payload: dict[str, Any]) -> int:
    """Rebuild the entries of the renamed owner's products, a chunk per transaction
    (idempotent: a rerun rebuilds them again)."""
    ids = products_showing_names_of(owner=payload["owner"], owner_id=payload["id"])
    for start in range(0, len(ids), CHUNK):
        search.products_reindex(ids[start : start + CHUNK])
    return len(ids)
