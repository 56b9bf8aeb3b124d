"""A bid in one round trip on PostgreSQL (``auctions_bid_apply``).

Called in autocommit, the whole locked part of a bid is one statement: the lot's row
locked, the time taken inside the lock, ``engine.apply_bid`` (refusals, the increment grid,
proxy bidding, the reserve, soft close, buy-now) applied to the snapshot, the bid, its
public bid-log steps, the new snapshot and the audit row written, and the commit. So the
lot stays locked for the database's own microseconds, never across a round trip to
Python. The rules are ``engine.py``'s and ``increments.py``'s, line for line; SQLite runs
those directly (``services._bid_apply``). After the call, ``services`` applies the engine
to the snapshot this function saw and checks it agrees with what was written; the
PostgreSQL tests of ``tests/auctions`` run this and compare lots with their replays.

Returns ``(bid_id, sequence, placed_at, refusal, minimum_fen, old)``: ``refusal`` empty
when accepted, ``minimum_fen`` the least acceptable bid quoted with a refusal, ``old`` the
snapshot (JSON) the bid was applied to.
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION auctions_band(
    p_bands jsonb, p_amount bigint, OUT band_start bigint, OUT band_end bigint, OUT step bigint
) LANGUAGE sql IMMUTABLE AS $$
    SELECT b.f, b.nxt, b.s FROM (
        SELECT (e->>'from_fen')::bigint AS f, (e->>'step_fen')::bigint AS s,
               lead((e->>'from_fen')::bigint) OVER (ORDER BY n) AS nxt
        FROM jsonb_array_elements(p_bands) WITH ORDINALITY AS t(e, n)
    ) b
    WHERE b.f <= p_amount ORDER BY b.f DESC LIMIT 1
$$;

-- increments.IncrementTable._anchor
CREATE OR REPLACE FUNCTION auctions_anchor(p_band_start bigint, p_band_end bigint, p_start bigint)
RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_band_start <= p_start AND (p_band_end IS NULL OR p_start < p_band_end)
                THEN p_start ELSE p_band_start END
$$;

-- increments.IncrementTable.is_on_grid
CREATE OR REPLACE FUNCTION auctions_on_grid(p_bands jsonb, p_amount bigint, p_start bigint)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE b record;
BEGIN
    IF p_amount < p_start THEN RETURN false; END IF;
    SELECT * INTO b FROM auctions_band(p_bands, p_amount);
    RETURN (p_amount - auctions_anchor(b.band_start, b.band_end, p_start)) % b.step = 0;
END $$;

-- increments.IncrementTable.next_valid: price + increment, rounded up to the grid
CREATE OR REPLACE FUNCTION auctions_next_valid(p_bands jsonb, p_price bigint, p_start bigint)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    b record;
    v_amount bigint;
    v_anchor bigint;
    v_candidate bigint;
BEGIN
    SELECT * INTO b FROM auctions_band(p_bands, p_price);
    v_amount := p_price + b.step;
    IF v_amount <= p_start THEN RETURN p_start; END IF;
    SELECT * INTO b FROM auctions_band(p_bands, v_amount);
    v_anchor := auctions_anchor(b.band_start, b.band_end, p_start);
    v_candidate := v_anchor + (v_amount - v_anchor + b.step - 1) / b.step * b.step;
    IF b.band_end IS NOT NULL AND v_candidate >= b.band_end THEN RETURN b.band_end; END IF;
    RETURN v_candidate;
END $$;

CREATE OR REPLACE FUNCTION auctions_bid_apply(
    p_lot bigint,
    p_bidder bigint,
    p_max bigint,
    p_buy_now boolean,
    p_source text,
    p_client_ip inet,
    p_public_id text,
    p_frozen timestamptz,
    p_offset interval,
    OUT bid_id bigint,
    OUT sequence integer,
    OUT placed_at timestamptz,
    OUT refusal text,
    OUT minimum_fen bigint,
    OUT old jsonb
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    l auctions_lot%ROWTYPE;
    v_bands jsonb;
    v_closed boolean;
    v_offered boolean;
    v_minimum bigint;
    v_price bigint;
    v_leader bigint; v_leader_max bigint; v_leader_seq integer; v_leader_at timestamptz;
    v_runner bigint; v_runner_max bigint; v_runner_seq integer; v_runner_at timestamptz;
    v_ends timestamptz;
    v_extended timestamptz;
    v_outcome text := '';
    v_closed_at timestamptz;
    v_winner bigint;
    v_hammer bigint;
    s_bidder bigint[] := '{}';
    s_amount bigint[] := '{}';
    s_auto boolean[] := '{}';
BEGIN
    SELECT * INTO l FROM auctions_lot WHERE id = p_lot FOR UPDATE;
    -- The bid's time is taken inside the lock, as services.lot_locked does.
    placed_at := coalesce(p_frozen, clock_timestamp()) + p_offset;
    v_bands := coalesce(
        l.increments_override,
        (SELECT bands FROM auctions_incrementtable WHERE id = l.increment_table_id)
    );
    sequence := l.bid_sequence + 1;
    old := jsonb_build_object(
        'ends_at', l.ends_at, 'price_fen', l.price_fen, 'bid_count', l.bid_count,
        'leader_id', l.leader_id, 'leader_max_fen', l.leader_max_fen,
        'leader_seq', l.leader_seq, 'leader_placed_at', l.leader_placed_at,
        'runner_up_id', l.runner_up_id, 'runner_up_max_fen', l.runner_up_max_fen,
        'runner_up_seq', l.runner_up_seq, 'runner_up_placed_at', l.runner_up_placed_at,
        'outcome', l.outcome, 'closed_at', l.closed_at, 'winner_id', l.winner_id,
        'hammer_fen', l.hammer_fen, 'version', l.version
    );

    -- engine._refusal
    v_closed := l.outcome <> '';
    v_minimum := CASE
        WHEN v_closed THEN NULL
        WHEN l.price_fen IS NULL THEN l.start_price_fen
        ELSE auctions_next_valid(v_bands, l.price_fen, l.start_price_fen)
    END;
    v_offered := l.buy_now_fen IS NOT NULL AND NOT v_closed AND (
        l.price_fen IS NULL OR (l.reserve_fen IS NOT NULL AND l.price_fen < l.reserve_fen)
    );
    refusal := CASE
        WHEN v_closed THEN 'lot_closed'
        WHEN placed_at < l.starts_at THEN 'lot_not_started'
        WHEN placed_at >= l.ends_at THEN 'lot_ended'
        WHEN p_buy_now AND NOT v_offered THEN 'buy_now_unavailable'
        WHEN p_buy_now AND p_max <> l.buy_now_fen THEN 'buy_now_amount_mismatch'
        WHEN p_buy_now THEN ''
        WHEN l.leader_id = p_bidder AND p_max <= l.leader_max_fen
            THEN 'bid_not_above_own_maximum'
        WHEN p_max < v_minimum THEN 'bid_below_minimum'
        WHEN NOT auctions_on_grid(v_bands, p_max, l.start_price_fen) THEN 'bid_off_grid'
        ELSE ''
    END;
    IF refusal <> '' THEN
        minimum_fen := CASE WHEN refusal IN ('lot_closed', 'lot_ended') THEN NULL
                            ELSE v_minimum END;
        INSERT INTO auctions_bid (
            public_id, lot_id, bidder_id, sequence, max_fen, buy_now, placed_at, source,
            client_ip, accepted, refusal, minimum_fen, retracted, retraction_reason
        ) VALUES (
            p_public_id, p_lot, p_bidder, sequence, p_max, p_buy_now, placed_at, p_source,
            p_client_ip, false, refusal, minimum_fen, false, ''
        ) RETURNING id INTO bid_id;
        UPDATE auctions_lot SET bid_sequence = sequence WHERE id = p_lot;
        RETURN;
    END IF;

    -- engine.apply_bid, an accepted bid
    v_leader := p_bidder; v_leader_max := p_max;
    v_leader_seq := sequence; v_leader_at := placed_at;
    v_runner := l.runner_up_id; v_runner_max := l.runner_up_max_fen;
    v_runner_seq := l.runner_up_seq; v_runner_at := l.runner_up_placed_at;
    IF p_buy_now THEN
        v_price := p_max;
        IF l.leader_id IS NOT NULL AND l.leader_id <> p_bidder THEN
            v_runner := l.leader_id; v_runner_max := l.leader_max_fen;
            v_runner_seq := l.leader_seq; v_runner_at := l.leader_placed_at;
        END IF;
        s_bidder := s_bidder || p_bidder; s_amount := s_amount || v_price;
        s_auto := s_auto || false;
    ELSIF l.leader_id IS NULL OR l.price_fen IS NULL THEN
        v_price := l.start_price_fen;
        s_bidder := s_bidder || p_bidder; s_amount := s_amount || NULL::bigint;
        s_auto := s_auto || false;
    ELSIF l.leader_id = p_bidder THEN
        v_price := l.price_fen;
    ELSIF p_max > l.leader_max_fen THEN
        v_runner := l.leader_id; v_runner_max := l.leader_max_fen;
        v_runner_seq := l.leader_seq; v_runner_at := l.leader_placed_at;
        v_price := least(p_max, auctions_next_valid(v_bands, l.leader_max_fen, l.start_price_fen));
        IF l.leader_max_fen > l.price_fen THEN
            s_bidder := s_bidder || l.leader_id; s_amount := s_amount || l.leader_max_fen;
            s_auto := s_auto || true;
        END IF;
        s_bidder := s_bidder || p_bidder; s_amount := s_amount || NULL::bigint;
        s_auto := s_auto || false;
    ELSE  -- the challenger stays at or below the leader's maximum: the leader keeps it
        v_leader := l.leader_id; v_leader_max := l.leader_max_fen;
        v_leader_seq := l.leader_seq; v_leader_at := l.leader_placed_at;
        v_runner := p_bidder; v_runner_max := p_max;
        v_runner_seq := sequence; v_runner_at := placed_at;
        v_price := least(l.leader_max_fen, auctions_next_valid(v_bands, p_max, l.start_price_fen));
        s_bidder := s_bidder || p_bidder || l.leader_id;
        s_amount := s_amount || p_max || NULL::bigint;
        s_auto := s_auto || false || true;
    END IF;
    -- engine._with_reserve (not for a buy-now)
    IF NOT p_buy_now AND l.reserve_fen IS NOT NULL AND v_leader_max >= l.reserve_fen
       AND v_price < l.reserve_fen THEN
        v_price := l.reserve_fen;
    END IF;
    -- The leader's raise logs a step only when the price moved (to the reserve).
    IF NOT p_buy_now AND l.leader_id = p_bidder AND l.price_fen IS NOT NULL
       AND v_price <> l.price_fen THEN
        s_bidder := s_bidder || p_bidder; s_amount := s_amount || v_price;
        s_auto := s_auto || true;
    END IF;
    -- The steps at the new price (NULL above) take it now it is final.
    FOR i IN 1 .. coalesce(array_length(s_amount, 1), 0) LOOP
        IF s_amount[i] IS NULL THEN s_amount[i] := v_price; END IF;
    END LOOP;

    v_ends := l.ends_at;
    IF p_buy_now THEN
        v_outcome := 'bought_now'; v_closed_at := placed_at;
        v_winner := p_bidder; v_hammer := v_price;
    ELSIF l.leader_id IS DISTINCT FROM v_leader OR l.price_fen IS DISTINCT FROM v_price THEN
        v_extended := placed_at + make_interval(mins => l.soft_close_minutes);
        IF l.hard_stop_at IS NOT NULL THEN
            v_extended := least(v_extended, l.hard_stop_at);
        END IF;
        IF v_extended > v_ends THEN v_ends := v_extended; END IF;
    END IF;

    INSERT INTO auctions_bid (
        public_id, lot_id, bidder_id, sequence, max_fen, buy_now, placed_at, source,
        client_ip, accepted, refusal, minimum_fen, retracted, retraction_reason
    ) VALUES (
        p_public_id, p_lot, p_bidder, sequence, p_max, p_buy_now, placed_at, p_source,
        p_client_ip, true, '', NULL, false, ''
    ) RETURNING id INTO bid_id;
    INSERT INTO auctions_bidstep (
        lot_id, position, bidder_id, amount_fen, automatic, bid_sequence, at
    )
    SELECT p_lot, l.step_count + n, s_bidder[n], s_amount[n], s_auto[n], sequence, placed_at
    FROM generate_series(1, coalesce(array_length(s_amount, 1), 0)) AS n;
    UPDATE auctions_lot SET
        ends_at = v_ends, price_fen = v_price, bid_count = l.bid_count + 1,
        leader_id = v_leader, leader_max_fen = v_leader_max, leader_seq = v_leader_seq,
        leader_placed_at = v_leader_at,
        runner_up_id = v_runner, runner_up_max_fen = v_runner_max,
        runner_up_seq = v_runner_seq, runner_up_placed_at = v_runner_at,
        outcome = v_outcome, closed_at = v_closed_at, winner_id = v_winner,
        hammer_fen = v_hammer,
        bid_sequence = sequence,
        step_count = l.step_count + coalesce(array_length(s_amount, 1), 0),
        version = l.version + 1
    WHERE id = p_lot;
    INSERT INTO core_auditevent (
        at, actor_id, action, target_type, target_id, from_state, to_state, reason, data
    ) VALUES (
        placed_at, p_bidder, 'lot.bid', 'auctions.lot', l.public_id, '', '', '',
        jsonb_build_object(
            'bid', p_public_id, 'sequence', sequence, 'max_fen', p_max,
            'price_fen', v_price, 'buy_now', p_buy_now, 'source', p_source
        )
    );
    refusal := '';
END;
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS auctions_bid_apply(
    bigint, bigint, bigint, boolean, text, inet, text, timestamptz, interval);
DROP FUNCTION IF EXISTS auctions_next_valid(jsonb, bigint, bigint);
DROP FUNCTION IF EXISTS auctions_on_grid(jsonb, bigint, bigint);
DROP FUNCTION IF EXISTS auctions_anchor(bigint, bigint, bigint);
DROP FUNCTION IF EXISTS auctions_band(jsonb, bigint);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FUNCTIONS)  # no parameters: its % is the modulo


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("auctions", "0003_verbose_names_in_chinese")]

    operations = [migrations.RunPython(create, drop)]
