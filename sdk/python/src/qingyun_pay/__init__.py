"""Qingyun Pay merchant API client (standard library only; RSA through `cryptography` when installed)."""

from .client import ApiError, Client
from .signing import (
    HEADERS,
    HmacKey,
    NotifyVerification,
    RsaPrivateKey,
    RsaPublicKey,
    is_canonical_base64,
    new_nonce,
    notify_signing_string,
    request_signing_string,
    sign_request,
    sign_string,
    verify_notify,
    verify_string,
)

__all__ = [
    "ApiError",
    "Client",
    "HEADERS",
    "HmacKey",
    "NotifyVerification",
    "RsaPrivateKey",
    "RsaPublicKey",
    "is_canonical_base64",
    "new_nonce",
    "notify_signing_string",
    "request_signing_string",
    "sign_request",
    "sign_string",
    "verify_notify",
    "verify_string",
]
