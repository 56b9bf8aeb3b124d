"""Pure catalog rules: the product moderation state machine (no Django)."""

from __future__ import annotations

from enum import StrEnum


class ProductAction(StrEnum):
    SUBMIT = "submit"  # seller asks for review
    APPROVE = "approve"  # operator publishes
    REJECT = "reject"  # operator sends back to draft with a reason
    DELIST = "delist"  # seller or operator takes it off sale
    EDIT_LIVE = "edit_live"  # seller changed a live product's text: review again


SELLER_ACTIONS = {ProductAction.SUBMIT, ProductAction.DELIST, ProductAction.EDIT_LIVE}
OPERATOR_ACTIONS = {ProductAction.APPROVE, ProductAction.REJECT, ProductAction.DELIST}

# (from status, action) -> to status. Anything not listed is refused.
PRODUCT_TRANSITIONS: dict[tuple[str, ProductAction], str] = {
    ("draft", ProductAction.SUBMIT): "pending_review",
    ("delisted", ProductAction.SUBMIT): "pending_review",
    ("pending_review", ProductAction.APPROVE): "live",
    ("pending_review", ProductAction.REJECT): "draft",
    ("live", ProductAction.DELIST): "delisted",
    ("pending_review", ProductAction.DELIST): "delisted",
    ("live", ProductAction.EDIT_LIVE): "pending_review",
}


def next_product_status(current: str, action: ProductAction) -> str | None:
    return PRODUCT_TRANSITIONS.get((current, action))


# Fields whose change on a live product sends it back to review.
REVIEWED_FIELDS = frozenset(
    {"title_zh", "title_en", "description_zh", "description_en", "category", "designer"}
)


# --- where a product is from --------------------------------------------------------------

# A product's origin (国内 / 国际) follows its country or region of origin: made in mainland
# China is domestic, anywhere else international. The two are stored for filtering, and
# must never disagree.
DOMESTIC_COUNTRY = "CN"


def origin_for_country(country: str) -> str:
    """``"domestic"`` for a product made in China, else ``"international"``."""
    return "domestic" if (country or "").upper() == DOMESTIC_COUNTRY else "international"


def origin_agrees(origin: str, country: str) -> bool:
    return origin == origin_for_country(country)
