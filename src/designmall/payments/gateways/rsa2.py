"""RSA2 as Alipay's open platform uses it: SHA256withRSA (PKCS#1 v1.5), base64.

Pure functions (no Django), shared by the real gateway and the sandbox:

- a request is signed over every parameter except ``sign``;
- a notification (and a synchronous return) is verified over every parameter
  except ``sign`` and ``sign_type``;
- in both, empty values are dropped, the rest sorted by key and joined as
  ``k=v`` with ``&``, the values as they are (not URL-encoded);
- a server response is signed over the raw JSON text of its ``*_response``
  object, exactly as sent.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_BITS = 2048


def _content(params: Mapping[str, str], exclude: frozenset[str]) -> str:
    return "&".join(
        f"{key}={value}"
        for key, value in sorted(params.items())
        if key not in exclude and value is not None and value != ""
    )


def request_content(params: Mapping[str, str]) -> str:
    """The text a request's ``sign`` is computed over."""
    return _content(params, frozenset({"sign"}))


def notification_content(params: Mapping[str, str]) -> str:
    """The text a notification's ``sign`` is computed over."""
    return _content(params, frozenset({"sign", "sign_type"}))


def sign(private_key: rsa.RSAPrivateKey, content: str) -> str:
    signature = private_key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify(public_key: rsa.RSAPublicKey, content: str, signature: str) -> bool:
    """True only if ``signature`` is a valid RSA2 signature of ``content`` by the key's owner."""
    if not isinstance(signature, str) or not signature:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _der(text: bytes) -> bytes:
    # Alipay's console hands keys out as one line of base64 without PEM armour.
    return base64.b64decode(b"".join(text.split()), validate=True)


def load_private_key(data: bytes | str) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#1 or PKCS#8) or bare base64 DER."""
    data = data.encode("ascii") if isinstance(data, str) else data
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(_der(data), password=None)
    except (binascii.Error, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("not an unencrypted RSA private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(data: bytes | str) -> rsa.RSAPublicKey:
    """An RSA public key from PEM or bare base64 DER (SubjectPublicKeyInfo)."""
    data = data.encode("ascii") if isinstance(data, str) else data
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_der_public_key(_der(data))
    except (binascii.Error, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("not an RSA public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


@functools.lru_cache(maxsize=16)
def _read_key(path: str, private: bool, _mtime_ns: int, _size: int):
    data = Path(path).read_bytes()
    return load_private_key(data) if private else load_public_key(data)


def read_private_key(path: str | Path) -> rsa.RSAPrivateKey:
    """The private key in the file at ``path``, parsed once per version of the file."""
    stat = os.stat(path)
    return _read_key(str(path), True, stat.st_mtime_ns, stat.st_size)


def read_public_key(path: str | Path) -> rsa.RSAPublicKey:
    stat = os.stat(path)
    return _read_key(str(path), False, stat.st_mtime_ns, stat.st_size)
