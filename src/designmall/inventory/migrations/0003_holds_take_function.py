"""``inventory_holds_take``: a checkout's hold-taking as one statement on PostgreSQL.

A flash sale's buyers queue on one SKU's stock row, and everything that runs while a
transaction holds that row's lock is time the next buyer waits. This function takes the
units and writes the holds in one call (per SKU, in the order given: ascending, the order
levels are locked in everywhere), so ``inventory.services.holds_take`` reaches the database
in one round trip, and a checkout sends it together with its COMMIT: no Python runs while
the row is locked. Either every SKU is taken or the function raises (``designmall:
out_of_stock`` / ``designmall: sku_not_found``, the facts in DETAIL) and the transaction
must roll back: the units taken before the short SKU are given back with it.

On SQLite (the embedded tier) nothing is created: the same rules run in Python there.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION inventory_holds_take(
    p_sku_ids bigint[],
    p_quantities integer[],
    p_public_ids text[],
    p_owner_ref text,
    p_expires_at timestamptz,
    p_now timestamptz
) RETURNS TABLE (taken_hold_id bigint, taken_sku_id bigint, left_available integer)
LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    v_left integer;
    v_public_id text;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_sku_ids, 1), 0) LOOP
        UPDATE inventory_stocklevel AS l
           SET available = l.available - p_quantities[i], held = l.held + p_quantities[i]
         WHERE l.sku_id = p_sku_ids[i] AND l.available >= p_quantities[i]
        RETURNING l.available INTO v_left;
        IF NOT FOUND THEN
            SELECT s.public_id, coalesce(l.available, 0) INTO v_public_id, v_left
              FROM catalog_sku AS s LEFT JOIN inventory_stocklevel AS l ON l.sku_id = s.id
             WHERE s.id = p_sku_ids[i];
            IF NOT FOUND THEN
                RAISE EXCEPTION 'designmall: sku_not_found'
                    USING DETAIL = p_sku_ids[i]::text;
            END IF;
            RAISE EXCEPTION 'designmall: out_of_stock'
                USING DETAIL = concat_ws(' ', p_sku_ids[i], v_public_id, p_quantities[i], v_left);
        END IF;
        INSERT INTO inventory_stockhold
            (public_id, sku_id, quantity, owner_ref, status, expires_at, created_at, closed_at)
        VALUES
            (p_public_ids[i], p_sku_ids[i], p_quantities[i], p_owner_ref, 'held', p_expires_at,
             p_now, NULL)
        RETURNING id INTO taken_hold_id;
        taken_sku_id := p_sku_ids[i];
        left_available := v_left;
        RETURN NEXT;
    END LOOP;
END
$$;
"""

DROP = (
    "DROP FUNCTION IF EXISTS inventory_holds_take("
    "bigint[], integer[], text[], text, timestamptz, timestamptz);"
)


class RunSQLOnPostgres(migrations.RunSQL):
    """RunSQL that does nothing on other databases (SQLite runs these rules in Python)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0002_stock_from_catalog"),
    ]

    operations = [RunSQLOnPostgres(CREATE, DROP)]
