"""Webhook signing per the Standard Webhooks specification (standardwebhooks.com), so that
receivers verify with an off-the-shelf library in any language.

A secret is `whsec_<base64 of the key bytes>`; the signature is
`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with those bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
# The key sizes a receiver's library expects: the specification asks for 24 to 64 bytes.
SECRET_MIN_BYTES, SECRET_MAX_BYTES = 24, 64


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, as `whsec_<base64>`."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_` secret stands for; ValueError when it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("A signing secret starts with whsec_.")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise ValueError("A signing secret is whsec_ followed by base64.") from None
    if not key:
        raise ValueError("A signing secret is whsec_ followed by base64.")
    return key


def check_new_secret(secret: str) -> None:
    """A secret an operator types in: a whsec_ secret of 24 to 64 bytes (ValueError if not)."""
    if not SECRET_MIN_BYTES <= len(secret_key(secret)) <= SECRET_MAX_BYTES:
        raise ValueError(f"A signing secret holds {SECRET_MIN_BYTES} to {SECRET_MAX_BYTES} bytes.")


def sign(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(mac).decode()}"


def legacy_sign(secret: str, timestamp: str, body: bytes) -> str:
    """The earlier `X-Marketplace-Signature`: `sha256=<hex HMAC of "{timestamp}.{body}">`, with
    the same key (a secret carried over keeps the bytes the receiver already has)."""
    mac = hmac.new(secret_key(secret), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"
