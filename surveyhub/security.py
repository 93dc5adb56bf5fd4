"""Secrets: generating keys, hashing API keys, encrypting secrets that must be read back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken

API_KEY_PREFIX_LEN = 12  # "sk_" + 9 characters: enough to find the row, useless to an attacker

# How long a rotated-out signing or webhook secret keeps working unless told otherwise, and at most.
DEFAULT_GRACE_HOURS = 24
MAX_GRACE_HOURS = 720  # 30 days


def new_api_key() -> str:
    """Return a fresh secret API key, "sk_…"."""
    return "sk_" + secrets.token_urlsafe(32)


def new_widget_key() -> str:
    """Return a fresh public widget key, "pk_…"."""
    return "pk_" + secrets.token_urlsafe(18)


def new_signing_secret() -> str:
    """Return a fresh secret for the widget's user HMAC."""
    return secrets.token_hex(32)


def user_hash(signing_secret: str, user_id: str) -> str:
    """Return the widget's userHash: hex HMAC-SHA256 of the user id keyed with the org's signing secret."""
    return hmac.new(signing_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def user_hash_matches(signing_secret: str, user_id: str, presented: str) -> bool:
    """Check a presented userHash in constant time (hex digits in either case)."""
    # As bytes: compare_digest refuses str holding non-ASCII characters, and anyone may send those.
    return hmac.compare_digest(user_hash(signing_secret, user_id).encode(), presented.lower().encode())


def api_key_prefix(key: str) -> str:
    """Return the non-secret part of an API key used to look it up."""
    return key[:API_KEY_PREFIX_LEN]


def hash_api_key(key: str) -> str:
    """Hash an API key for storage. Keys are 256 random bits, so one SHA-256 suffices."""
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_matches(key: str, key_hash: str) -> bool:
    """Compare a presented key with a stored hash in constant time."""
    return hmac.compare_digest(hash_api_key(key), key_hash)


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"surveyhub-secrets-at-rest:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(value: str, secret_key: str) -> str:
    """Encrypt a secret for storage with a key derived from the app's SECRET_KEY."""
    return _fernet(secret_key).encrypt(value.encode()).decode()


def decrypt_secret(token: str, secret_key: str) -> str:
    """Decrypt a secret stored by encrypt_secret; raises ValueError if SECRET_KEY changed."""
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken as err:
        raise ValueError("cannot decrypt: was SURVEYHUB_SECRET_KEY changed?") from err
