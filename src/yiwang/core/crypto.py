"""Keys and primitives for personal data at rest and for signing.

Personal values (identity numbers, phones) are stored as AES-256-GCM ciphertext plus an
HMAC-SHA256 blind index for equality lookup, so a copy of the database alone reveals
neither. Keys come from settings; each is derived with HKDF from the secret key unless
set explicitly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from yiwang.settings import get_settings

_VERSION = b"\x01"


def _derive(info: bytes) -> bytes:
    secret = get_settings().secret_key.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"yiwang", info=info).derive(secret)


@lru_cache
def _aead() -> AESGCM:
    explicit = get_settings().data_key
    key = base64.b64decode(explicit) if explicit else _derive(b"data-key")
    return AESGCM(key)


@lru_cache
def _index_key() -> bytes:
    return _derive(b"blind-index")


def encrypt(plaintext: str, aad: bytes = b"") -> bytes:
    nonce = os.urandom(12)
    return _VERSION + nonce + _aead().encrypt(nonce, plaintext.encode(), aad)


def decrypt(blob: bytes, aad: bytes = b"") -> str:
    if blob[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    return _aead().decrypt(blob[1:13], blob[13:], aad).decode()


def blind_index(value: str, kind: str) -> str:
    """Deterministic keyed hash for equality lookups; `kind` separates domains."""
    h = _keyed_index(kind).copy()  # the keyed state is set up once per kind, not per value
    h.update(value.encode())
    return h.hexdigest()


@lru_cache
def _keyed_index(kind: str) -> hmac.HMAC:
    return hmac.new(_index_key(), kind.encode() + b"\x00", hashlib.sha256)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@lru_cache
def signing_key() -> Ed25519PrivateKey:
    explicit = get_settings().audit_signing_key
    seed = base64.b64decode(explicit) if explicit else _derive(b"audit-signing")
    return Ed25519PrivateKey.from_private_bytes(seed)


def purpose_signing_key(purpose: str) -> Ed25519PrivateKey:
    """An Ed25519 key of its own for one purpose (e-licenses, say), derived from the secret key."""
    return Ed25519PrivateKey.from_private_bytes(_derive(f"signing:{purpose}".encode()))


def public_key_raw(key: Ed25519PrivateKey | None = None) -> bytes:
    return (
        (key or signing_key())
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def verify_signature(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except Exception:
        return False
    return True


def clear_key_cache() -> None:
    for fn in (_aead, _index_key, _keyed_index, signing_key):
        fn.cache_clear()
