"""The five roles, kept as Django groups with their permissions."""

from enum import StrEnum


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    OPERATOR = "operator"
    VENUE_STAFF = "venue_staff"
    FINANCE = "finance"


# Model permissions each role's group carries (app_label.codename).
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.BUYER: [],
    Role.SELLER: [
        "catalog.view_product",
        "catalog.add_product",
        "catalog.change_product",
    ],
    Role.OPERATOR: [
        "catalog.view_designer",
        "catalog.add_designer",
        "catalog.change_designer",
        "catalog.view_shop",
        "catalog.change_shop",
        "catalog.review_shop",
        "catalog.view_category",
        "catalog.add_category",
        "catalog.change_category",
        "catalog.delete_category",
        "catalog.view_product",
        "catalog.change_product",
        "catalog.moderate_product",
        "catalog.view_sku",
        "catalog.change_sku",
        "catalog.view_productimage",
        "accounts.view_user",
        "core.view_auditevent",
        "ledger.view_account",
        "ledger.view_ledgertransaction",
        "ledger.view_payout",
        "orders.view_order",
        "orders.view_checkout",
        "orders.view_idempotencykey",
        "inventory.view_stocklevel",
        "inventory.view_stockhold",
        "inventory.view_stockadjustment",
        "events.view_venue",
        "events.add_venue",
        "events.change_venue",
        "events.view_hall",
        "events.add_hall",
        "events.change_hall",
        "events.view_event",
        "events.add_event",
        "events.change_event",
        "events.view_session",
        "events.add_session",
        "events.change_session",
        "events.cancel_session",
        "events.view_reservation",
        "events.view_waitlistentry",
        "events.view_ticket",
        "events.view_eventkey",
        "events.view_notification",
        "events.view_checkinlist",
        "events.add_checkinlist",
        "events.change_checkinlist",
        "events.view_scannerdevice",
        "events.add_scannerdevice",
        "events.change_scannerdevice",
        "events.view_scan",
        "events.resolve_conflict",
        "events.view_checkin",
        "auctions.view_auctionsale",
        "auctions.add_auctionsale",
        "auctions.change_auctionsale",
        "auctions.view_lot",
        "auctions.add_lot",
        "auctions.change_lot",
        "auctions.retract_bid",
        "auctions.view_lotimage",
        "auctions.add_lotimage",
        "auctions.change_lotimage",
        "auctions.delete_lotimage",
        "auctions.view_incrementtable",
        "auctions.add_incrementtable",
        "auctions.change_incrementtable",
        "auctions.view_bid",
        "auctions.view_deposit",
        "auctions.view_secondchanceoffer",
        "auctions.view_lotcheckout",
    ],
    Role.VENUE_STAFF: [],
    Role.FINANCE: [
        "core.view_auditevent",
        "catalog.view_shop",
        "ledger.view_account",
        "ledger.view_ledgertransaction",
        "ledger.view_payout",
        "ledger.approve_payout",
        "orders.view_order",
        "events.view_reservation",
        "auctions.view_lot",
        "auctions.view_deposit",
    ],
}

# Roles whose members work in the back office (Django admin).
STAFF_ROLES = {Role.OPERATOR, Role.FINANCE}
