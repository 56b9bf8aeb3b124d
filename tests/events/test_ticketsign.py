"""The signed QR payload: what it carries, that it fits a QR code comfortably, and that a
forged, altered, expired or not-yet-valid payload is refused with its own reason."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
import qrcode
from hypothesis import given
from hypothesis import strategies as st

from designmall.core.ids import new_public_id
from designmall.events import ticketsign
from designmall.events.ticketsign import (
    BadSignature,
    MalformedTicket,
    TicketExpired,
    TicketNotYetValid,
    UnknownKey,
)

KEY = ticketsign.generate_private_key()
OTHER = ticketsign.generate_private_key()
TICKET = new_public_id("tk")
SESSION = new_public_id("ses")
FROM, UNTIL = 1_795_000_000, 1_795_010_800


def signed(**changes) -> str:
    fields = {
        "ticket_id": TICKET,
        "session_id": SESSION,
        "valid_from": FROM,
        "valid_until": UNTIL,
        "private_key": KEY,
        **changes,
    }
    return ticketsign.sign(**fields)


def test_a_genuine_payload_gives_back_its_claims():
    claims = ticketsign.verify(signed(), KEY.public_key(), now=FROM + 60)
    assert claims == ticketsign.TicketClaims(
        ticket_id=TICKET,
        session_id=SESSION,
        valid_from=FROM,
        valid_until=UNTIL,
        key_id=ticketsign.key_id(KEY.public_key()),
        version=1,
    )


def test_the_payload_is_130_url_safe_characters_and_carries_nothing_personal():
    payload = signed()
    assert len(payload) == ticketsign.PAYLOAD_CHARS == 130
    assert set(payload) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    raw = base64.urlsafe_b64decode(payload + "==")
    # Version, key id, two ids, two times and the signature: there is room for nothing else.
    assert len(raw) == 1 + 4 + 10 + 10 + 4 + 4 + 64


def test_the_payload_fits_a_small_qr_code():
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(signed())
    code.make(fit=True)
    assert code.version <= 8  # 49 × 49 modules


def test_signing_the_same_claims_again_gives_the_same_payload():
    assert signed() == signed()


def test_a_payload_signed_with_another_key_is_unknown_to_a_scanner_with_our_key():
    with pytest.raises(UnknownKey) as refused:
        ticketsign.verify(signed(private_key=OTHER), KEY.public_key(), now=FROM)
    assert refused.value.code == "ticket_unknown_key"


def test_a_forged_signature_under_our_key_id_is_refused():
    genuine = base64.urlsafe_b64decode(signed() + "==")
    forged_sig = base64.urlsafe_b64decode(signed(private_key=OTHER) + "==")[33:]
    forged = base64.urlsafe_b64encode(genuine[:33] + forged_sig).rstrip(b"=").decode()
    with pytest.raises(BadSignature):
        ticketsign.verify(forged, KEY.public_key(), now=FROM)


@pytest.mark.parametrize("index", [0, 5, 20, 40, 60, 100, 129])
def test_any_altered_character_is_refused(index):
    payload = signed()
    swapped = "B" if payload[index] != "B" else "C"
    altered = payload[:index] + swapped + payload[index + 1 :]
    with pytest.raises(ticketsign.TicketInvalid):
        ticketsign.verify(altered, KEY.public_key(), now=FROM)


def test_a_payload_with_an_extended_validity_is_refused():
    raw = bytearray(base64.urlsafe_b64decode(signed() + "=="))
    raw[29:33] = (UNTIL + 86_400).to_bytes(4, "big")  # a day longer, signature unchanged
    altered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(BadSignature):
        ticketsign.verify(altered, KEY.public_key(), now=FROM)


def test_an_expired_payload_is_refused_after_its_window():
    assert ticketsign.verify(signed(), KEY.public_key(), now=UNTIL)
    with pytest.raises(TicketExpired) as refused:
        ticketsign.verify(signed(), KEY.public_key(), now=UNTIL + 1)
    assert refused.value.code == "ticket_expired"


def test_a_payload_is_not_valid_before_its_window():
    with pytest.raises(TicketNotYetValid):
        ticketsign.verify(signed(), KEY.public_key(), now=FROM - 1)


def test_leeway_forgives_a_scanner_clock_that_is_a_little_off():
    claims = ticketsign.verify(signed(), KEY.public_key(), now=UNTIL + 30, leeway_seconds=60)
    assert claims.ticket_id == TICKET


def test_now_may_be_an_aware_datetime():
    moment = datetime.fromtimestamp(FROM + 10, tz=UTC)
    assert ticketsign.verify(signed(), KEY.public_key(), now=moment).session_id == SESSION


def test_a_scanner_with_several_keys_picks_the_one_named_in_the_payload():
    keyring = {ticketsign.key_id(k.public_key()): k.public_key() for k in (KEY, OTHER)}
    assert ticketsign.verify(signed(private_key=OTHER), keyring, now=FROM).ticket_id == TICKET


@pytest.mark.parametrize(
    "payload",
    ["", "hello", "A" * 129, "A" * 131, "!" * 130, None, 12345],
)
def test_malformed_payloads_are_refused(payload):
    with pytest.raises(MalformedTicket) as refused:
        ticketsign.verify(payload, KEY.public_key(), now=FROM)
    assert refused.value.code == "ticket_malformed"


def test_a_payload_of_an_unknown_version_is_refused():
    raw = bytearray(base64.urlsafe_b64decode(signed() + "=="))
    raw[0] = 2
    with pytest.raises(MalformedTicket):
        ticketsign.verify(
            base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode(), KEY.public_key(), now=FROM
        )


def test_public_keys_travel_as_43_base64url_characters():
    text = ticketsign.public_key_b64(KEY.public_key())
    assert len(text) == 43
    loaded = ticketsign.public_key_from_b64(text)
    assert ticketsign.verify(signed(), loaded, now=FROM).ticket_id == TICKET


def test_the_private_key_survives_pem():
    pem = ticketsign.private_key_pem(KEY)
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert signed(private_key=ticketsign.private_key_from_pem(pem)) == signed()


def test_ids_that_are_not_ticket_and_session_ids_cannot_be_signed():
    with pytest.raises(ValueError):
        signed(ticket_id=new_public_id("rsv"))
    with pytest.raises(ValueError):
        signed(session_id="ses_short")
    with pytest.raises(ValueError):
        signed(valid_from=UNTIL + 1)


@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=0, max_value=3600))
def test_any_public_ids_and_window_round_trip(start, length):
    ticket, session = new_public_id("tk"), new_public_id("ses")
    until = min(start + length, 2**32 - 1)
    payload = signed(ticket_id=ticket, session_id=session, valid_from=start, valid_until=until)
    claims = ticketsign.verify(payload, KEY.public_key(), now=start)
    assert (claims.ticket_id, claims.session_id, claims.valid_from, claims.valid_until) == (
        ticket,
        session,
        start,
        until,
    )
