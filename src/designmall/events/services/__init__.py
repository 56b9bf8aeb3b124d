"""Event services: reservations, waiting lists, tickets and cancelled sessions.

Seats. A session's ``confirmed`` and ``held`` counters change only through one
conditional ``UPDATE`` each (``held = held + n WHERE confirmed + held + n <=
capacity AND status = 'scheduled'``), never a read followed by a write; the
CHECK constraints on ``Session`` stand behind them. ``held`` counts the seats
of reservations waiting for payment and of open waiting-list offers.

Time. A hold or an offer past its expiry counts as gone wherever it matters
(it cannot be paid or claimed, the visitor's limit no longer counts it), so a
late sweeper never changes an answer; the sweepers (``events.tasks``) only make
it permanent, each step a conditional transition, idempotent and safe on
several workers. A reservation that finds the session full first releases what
has run out itself, so seats that are free by the clock are never refused.

Waiting lists. Whenever seats come free (a cancellation, an expiry, a declined
or lapsed offer, more capacity) they are offered in the same transaction to the
waiting entries in order of joining (``joined_at``, then id) whose seats fit;
an offer takes its seats with the same conditional update, so no seat is ever
offered twice, and holds them until ``WAITLIST_OFFER_HOURS`` have passed.

Locks are taken in one order everywhere: the visitor's user row, a payment, a
reservation, the session, waiting-list entries. Payments calls our handlers
with the payment locked (``events.payables``), so a payment arriving, the
visitor cancelling and the sweeper queue behind each other instead of
deadlocking.

Money. A priced reservation is paid through ``payments`` (payable type
``reservation``); the money waits in escrow. A refund comes out of escrow; once
the session is over, what was kept is recognised as ticket revenue
(``reservation_revenue_release``).

The modules. ``booking`` (checks, seat counters, transitions, tickets: the ground the
others stand on), ``reservations`` (reserving, cancelling, expiry), ``waitlist`` (the
queue and its offers), ``money`` (payments' handlers, refunds, ticket revenue),
``cancellation`` (the operator calls a session or an event off), ``notifications`` (the
inbox). Callers import from this package: the names below are its public face.
"""

from designmall.events.services.booking import (
    NOTIFY_JOB,
    PAYABLE_TYPE,
    REASON_MAX,
    CountersOutOfStep,
    can_cancel_sessions,
)
from designmall.events.services.cancellation import (
    event_cancel,
    session_cancel,
    session_cancel_finish,
)
from designmall.events.services.money import (
    LEDGER_TICKET_REFUND,
    LEDGER_TICKET_REVENUE,
    TICKET_REVENUE,
    reservation_is_payable,
    reservation_mark_paid,
    reservation_payment_expired,
    reservation_refund_succeeded,
    reservation_revenue_release,
)
from designmall.events.services.notifications import (
    notification_mark_read,
    notifications_write,
)
from designmall.events.services.reservations import (
    reservation_cancel,
    reservation_complimentary,
    reservation_create,
    reservation_expire,
    session_release_overdue,
)
from designmall.events.services.waitlist import (
    waitlist_join,
    waitlist_leave,
    waitlist_offer_claim,
    waitlist_offer_lapse,
    waitlist_offers_make,
)

__all__ = [
    "LEDGER_TICKET_REFUND",
    "LEDGER_TICKET_REVENUE",
    "NOTIFY_JOB",
    "PAYABLE_TYPE",
    "REASON_MAX",
    "TICKET_REVENUE",
    "CountersOutOfStep",
    "can_cancel_sessions",
    "event_cancel",
    "notification_mark_read",
    "notifications_write",
    "reservation_cancel",
    "reservation_complimentary",
    "reservation_create",
    "reservation_expire",
    "reservation_is_payable",
    "reservation_mark_paid",
    "reservation_payment_expired",
    "reservation_refund_succeeded",
    "reservation_revenue_release",
    "session_cancel",
    "session_cancel_finish",
    "session_release_overdue",
    "waitlist_join",
    "waitlist_leave",
    "waitlist_offer_claim",
    "waitlist_offer_lapse",
    "waitlist_offers_make",
]
