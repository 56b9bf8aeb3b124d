"""Alipay's public-key certificate mode (公钥证书模式), as its open platform defines it.

Some APIs (the fund transfer ``alipay.fund.trans.uni.transfer`` among them) are
only open to apps that sign in certificate mode: every request then also
carries ``app_cert_sn`` (our app's public-key certificate) and
``alipay_root_cert_sn`` (Alipay's root certificates), and Alipay's answers are
verified with the public key inside Alipay's public-key certificate.

A certificate's SN is the MD5 (hex) of its issuer's distinguished name as
RFC 2253 writes it (``CN=…,OU=…,O=…,C=…``), followed by its serial number in
decimal. The root's SN joins, with ``_``, the SNs of the RSA certificates
(SHA-1 or SHA-256 with RSA) in Alipay's root file; the others are skipped.
Pure functions, no Django.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import SignatureAlgorithmOID

RSA_SIGNATURES = frozenset(
    {SignatureAlgorithmOID.RSA_WITH_SHA1, SignatureAlgorithmOID.RSA_WITH_SHA256}
)


def load_certificates(data: bytes | str) -> list[x509.Certificate]:
    """Every certificate in a PEM file (Alipay's root file holds several)."""
    data = data.encode("ascii") if isinstance(data, str) else data
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise ValueError("not a PEM certificate file") from exc


def cert_sn(certificate: x509.Certificate) -> str:
    issuer = certificate.issuer.rfc4514_string()
    return hashlib.md5(f"{issuer}{certificate.serial_number}".encode()).hexdigest()


def root_cert_sn(certificates: list[x509.Certificate]) -> str:
    sns = [cert_sn(c) for c in certificates if c.signature_algorithm_oid in RSA_SIGNATURES]
    if not sns:
        raise ValueError("the root certificate file holds no RSA certificate")
    return "_".join(sns)


def public_key_of(certificate: x509.Certificate) -> rsa.RSAPublicKey:
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the certificate's key is not an RSA key")
    return key
