"""A free session's reservation in one round trip on PostgreSQL (``events_reserve_free``).

Called in autocommit, the whole step is one statement: the visitor's row locked (their
per-user limit), their seats counted, the session's counter taken with the conditional
update, the reservation, its tickets, its audit row and the trim of the visitor's waiting
entry written, and the commit. So the session's row stays locked for microseconds of the
database's own work, never across a round trip to Python. The rules are those of
``services.reservations._reserve`` (SQLite runs that one); the PostgreSQL tests of
``tests/events`` run this.

Returns ``(outcome, reservation_id, at)``: outcome ``ok``, ``over_user_limit``,
``not_bookable`` (cancelled, or outside the reservation window) or ``session_full``.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION events_reserve_free(
    p_session bigint,
    p_user bigint,
    p_seats integer,
    p_frozen timestamptz,
    p_offset interval,
    p_public_id text,
    p_ticket_ids text[],
    p_audit_data jsonb,
    p_trim_reason text,
    OUT outcome text,
    OUT reservation_id bigint,
    OUT at timestamptz
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_limit integer;
    v_have integer;
    v_entry record;
BEGIN
    -- The visitor's steps queue here, as in Python (the per-user limit): first in the
    -- lock order, before the session.
    PERFORM 1 FROM accounts_user WHERE id = p_user FOR UPDATE;
    at := coalesce(p_frozen, clock_timestamp()) + p_offset;
    SELECT per_user_limit INTO v_limit FROM events_session WHERE id = p_session;
    -- Each statement of a volatile function sees what was committed before it began, so
    -- this count includes the visitor's reservation that held their lock just before.
    SELECT coalesce((
        SELECT sum(seats) FROM events_reservation
        WHERE session_id = p_session AND user_id = p_user
          AND (status = 'confirmed' OR (status = 'pending_payment' AND hold_expires_at > at))
    ), 0) + coalesce((
        SELECT sum(seats) FROM events_waitlistentry
        WHERE session_id = p_session AND user_id = p_user
          AND status = 'offered' AND offer_expires_at > at
    ), 0) INTO v_have;
    IF v_have + p_seats > v_limit THEN
        outcome := 'over_user_limit';
        RETURN;
    END IF;
    UPDATE events_session s SET confirmed = s.confirmed + p_seats
    FROM events_event e
    WHERE s.id = p_session AND e.id = s.event_id
      AND s.status = 'scheduled' AND e.status = 'published'
      AND s.reservation_opens_at <= at AND at < s.reservation_closes_at
      AND s.price_fen = 0
      AND s.capacity >= s.confirmed + s.held + p_seats;
    IF NOT FOUND THEN
        PERFORM 1 FROM events_session s JOIN events_event e ON e.id = s.event_id
        WHERE s.id = p_session AND s.status = 'scheduled' AND e.status = 'published'
          AND s.reservation_opens_at <= at AND at < s.reservation_closes_at
          AND s.price_fen = 0;
        outcome := CASE WHEN FOUND THEN 'session_full' ELSE 'not_bookable' END;
        RETURN;
    END IF;
    INSERT INTO events_reservation (
        public_id, session_id, user_id, seats, unit_price_fen, amount_fen, status,
        created_at, confirmed_at, by_operator, cancel_reason, refund_fen, refunded_fen,
        released_fen
    ) VALUES (
        p_public_id, p_session, p_user, p_seats, 0, 0, 'confirmed', at, at, false, '', 0, 0, 0
    ) RETURNING id INTO reservation_id;
    INSERT INTO events_ticket (
        public_id, reservation_id, session_id, user_id, seat_no, status, issued_at,
        revoke_reason
    )
    SELECT p_ticket_ids[n], reservation_id, p_session, p_user, n, 'valid', at, ''
    FROM generate_series(1, p_seats) AS n;
    INSERT INTO core_auditevent (
        at, actor_id, action, target_type, target_id, from_state, to_state, reason, data
    ) VALUES (
        at, p_user, 'reservation.confirmed', 'events.reservation', p_public_id, '',
        'confirmed', '', p_audit_data
    );
    -- A waiting entry that no longer fits under the limit leaves the queue: an offer to
    -- it could never be claimed (services.waitlist._waiting_entry_trim).
    SELECT id, public_id, seats INTO v_entry FROM events_waitlistentry
    WHERE session_id = p_session AND user_id = p_user AND status = 'waiting'
    ORDER BY id LIMIT 1 FOR UPDATE;
    IF FOUND AND v_have + p_seats + v_entry.seats > v_limit THEN
        UPDATE events_waitlistentry SET status = 'left', closed_at = at WHERE id = v_entry.id;
        INSERT INTO core_auditevent (
            at, actor_id, action, target_type, target_id, from_state, to_state, reason, data
        ) VALUES (
            at, p_user, 'waitlist.left', 'events.waitlistentry', v_entry.public_id,
            'waiting', 'left', p_trim_reason, '{}'::jsonb
        );
    END IF;
    outcome := 'ok';
END;
$$;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTION)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS events_reserve_free("
            "bigint, bigint, integer, timestamptz, interval, text, text[], jsonb, text)"
        )


class Migration(migrations.Migration):
    dependencies = [("events", "0004_checkin_list_name_in_english")]

    operations = [migrations.RunPython(create, drop)]
