"""Alipay's certificate mode, which its fund transfers (seller payouts) require: every
request carries our app certificate's SN and Alipay's root SN, and answers are verified
with the key in Alipay's public-key certificate. The SNs are cross-checked against an
independent implementation (python-alipay-sdk's DCAliPay)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alipay import DCAliPay
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from designmall.payments.gateways import alipay, certs, rsa2
from designmall.payments.gateways.base import GatewayUnavailable
from tests.payments.test_alipay_gateway import FakeAlipay
from tests.payments.test_alipay_transfer import TRANSFER, answer

pytestmark = pytest.mark.django_db

ISSUER = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ant Financial"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Certification Authority"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Ant Financial Certification Authority R1"),
    ]
)


def certificate(subject_key, *, signer, serial: int, subject=ISSUER, algorithm=None):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ISSUER)
        .public_key(subject_key.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .sign(signer, algorithm or hashes.SHA256())
    )


def pem(*certificates) -> str:
    return "\n".join(
        c.public_bytes(serialization.Encoding.PEM).decode().strip() + "\n" for c in certificates
    )


@pytest.fixture(scope="module")
def chain():
    root_key = rsa2.generate_private_key()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    root = certificate(root_key, signer=root_key, serial=1234567890123)
    ec_root = certificate(ec_key, signer=ec_key, serial=42)  # not RSA: left out of the SN
    alipay_key, app_key = rsa2.generate_private_key(), rsa2.generate_private_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "2088410000000001")])
    return {
        "root": pem(root, ec_root),
        "alipay_key": alipay_key,
        "app_key": app_key,
        "alipay": pem(certificate(alipay_key, signer=root_key, serial=99887766, subject=subject)),
        "app": pem(certificate(app_key, signer=root_key, serial=55443322, subject=subject)),
    }


def test_a_certificates_sn_is_alipays(chain):
    ours = certs.cert_sn(certs.load_certificates(chain["app"])[0])
    assert ours == DCAliPay.get_cert_sn(chain["app"])


def test_the_root_sn_joins_the_rsa_roots_only(chain):
    ours = certs.root_cert_sn(certs.load_certificates(chain["root"]))
    theirs = DCAliPay.get_root_cert_sn(chain["root"].replace("-----\n-----", "-----\n\n-----"))
    assert ours == theirs
    assert "_" not in ours  # the EC root was left out


@pytest.fixture
def certificate_mode(settings, tmp_path, chain):
    files = {}
    for name in ("app", "alipay", "root"):
        files[name] = tmp_path / f"{name}.crt"
        files[name].write_text(chain[name])
    app_key = tmp_path / "app_private_key.pem"
    app_key.write_bytes(rsa2.private_key_pem(chain["app_key"]))
    settings.ALIPAY_APP_ID = "2021004100000001"
    settings.ALIPAY_APP_PRIVATE_KEY_PATH = str(app_key)
    settings.ALIPAY_PUBLIC_KEY_PATH = ""
    settings.ALIPAY_APP_CERT_PATH = str(files["app"])
    settings.ALIPAY_PUBLIC_CERT_PATH = str(files["alipay"])
    settings.ALIPAY_ROOT_CERT_PATH = str(files["root"])
    return settings


def test_in_certificate_mode_every_request_carries_both_sns_under_the_signature(
    certificate_mode, chain
):
    fake = FakeAlipay(chain["alipay_key"], answer())

    alipay.from_settings(transport=fake).transfer(**TRANSFER)

    _url, form = fake.calls[0]
    assert form["app_cert_sn"] == DCAliPay.get_cert_sn(chain["app"])
    assert form["alipay_root_cert_sn"] == certs.root_cert_sn(certs.load_certificates(chain["root"]))
    assert rsa2.verify(chain["app_key"].public_key(), rsa2.request_content(form), form["sign"])


def test_in_certificate_mode_answers_are_verified_with_alipays_certificate_key(
    certificate_mode, chain
):
    forged = FakeAlipay(rsa2.generate_private_key(), answer())
    with pytest.raises(alipay.GatewayError, match="signature"):
        alipay.from_settings(transport=forged).transfer(**TRANSFER)


def test_half_a_certificate_configuration_is_refused_clearly(certificate_mode):
    certificate_mode.ALIPAY_ROOT_CERT_PATH = ""
    with pytest.raises(GatewayUnavailable, match="ALIPAY_ROOT_CERT_PATH"):
        alipay.from_settings()


def test_public_key_mode_sends_no_certificate_sns(alipay_configured, keys):
    fake = FakeAlipay(keys.alipay, answer())
    alipay.from_settings(transport=fake).transfer(**TRANSFER)
    assert "app_cert_sn" not in fake.calls[0][1]
