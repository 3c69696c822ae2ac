"""Request and notify signatures, byte for byte as the platform checks them.

Request: base64(sign("METHOD\\nPATH?QUERY\\nMCH\\nAPP\\nTIMESTAMP\\nNONCE\\nBODY\\n"))
Notify:  base64(sign("TIMESTAMP\\nNONCE\\nBODY\\n"))
sign = HMAC-SHA256 with the app secret, or RSA-SHA256 (PKCS#1 v1.5) with a private key; the text is
UTF-8; base64 is the standard alphabet with padding, and only its one canonical form is accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
import uuid
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Union

HEADERS = {
    "merchant": "x-qy-mch",
    "app": "x-qy-app",
    "timestamp": "x-qy-timestamp",
    "nonce": "x-qy-nonce",
    "sign_type": "x-qy-sign-type",
    "signature": "x-qy-signature",
}

HMAC_SHA256 = "HMAC-SHA256"
RSA_SHA256 = "RSA-SHA256"


def _rsa():
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
    except ImportError as error:  # pragma: no cover - depends on the machine
        raise RuntimeError(
            "RSA-SHA256 needs the 'cryptography' package (pip install cryptography); HMAC-SHA256 needs nothing"
        ) from error
    return hashes, serialization, padding


def rsa_available() -> bool:
    try:
        _rsa()
        return True
    except RuntimeError:
        return False


@dataclass(frozen=True)
class HmacKey:
    """The app secret: signs requests and verifies HMAC notifies."""

    secret: str
    type: str = HMAC_SHA256


@dataclass(frozen=True)
class RsaPrivateKey:
    """Your RSA private key (PEM, PKCS#8 or PKCS#1): signs requests."""

    pem: str
    type: str = RSA_SHA256


@dataclass(frozen=True)
class RsaPublicKey:
    """The platform's RSA public key of your app (PEM): verifies RSA notifies."""

    pem: str
    type: str = RSA_SHA256


SigningKey = Union[HmacKey, RsaPrivateKey]
VerifyingKey = Union[HmacKey, RsaPublicKey]


def request_signing_string(
    method: str, path_with_query: str, mch_no: str, app_id: str, timestamp: str, nonce: str, body: str
) -> str:
    return f"{method.upper()}\n{path_with_query}\n{mch_no}\n{app_id}\n{timestamp}\n{nonce}\n{body}\n"


def notify_signing_string(timestamp: str, nonce: str, body: str) -> str:
    return f"{timestamp}\n{nonce}\n{body}\n"


def sign_string(text: str, key: SigningKey) -> str:
    data = text.encode("utf-8")
    if isinstance(key, HmacKey):
        digest = hmac.new(key.secret.encode("utf-8"), data, hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")
    hashes, serialization, padding = _rsa()
    private_key = serialization.load_pem_private_key(key.pem.encode("ascii"), password=None)
    return base64.b64encode(private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def is_canonical_base64(text: str) -> bool:
    """Standard base64 with padding in its one canonical form (no whitespace, no base64url, no stray bits)."""
    if not text or len(text) % 4 != 0 or not _BASE64.match(text):
        return False
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return base64.b64encode(decoded).decode("ascii") == text


def verify_string(text: str, signature: str, key: VerifyingKey) -> bool:
    """False for a wrong signature and for any signature not in canonical standard base64."""
    if not is_canonical_base64(signature):
        return False
    given = base64.b64decode(signature)
    data = text.encode("utf-8")
    if isinstance(key, HmacKey):
        expected = hmac.new(key.secret.encode("utf-8"), data, hashlib.sha256).digest()
        return hmac.compare_digest(given, expected)
    hashes, serialization, padding = _rsa()
    try:
        public_key = serialization.load_pem_public_key(key.pem.encode("ascii"))
        public_key.verify(given, data, padding.PKCS1v15(), hashes.SHA256())
        return True
    except Exception:  # noqa: BLE001 - any failure is "not verified"
        return False


def new_nonce() -> str:
    """32 hex characters."""
    return uuid.uuid4().hex


def sign_request(
    method: str,
    path_with_query: str,
    body: str,
    mch_no: str,
    app_id: str,
    key: SigningKey,
    timestamp: Optional[int] = None,
    nonce: Optional[str] = None,
) -> dict:
    """The X-Qy-* headers of one signed request."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    n = nonce or new_nonce()
    text = request_signing_string(method, path_with_query, mch_no, app_id, ts, n, body)
    return {
        HEADERS["merchant"]: mch_no,
        HEADERS["app"]: app_id,
        HEADERS["timestamp"]: ts,
        HEADERS["nonce"]: n,
        HEADERS["sign_type"]: key.type,
        HEADERS["signature"]: sign_string(text, key),
    }


@dataclass(frozen=True)
class NotifyVerification:
    ok: bool
    #: MISSING_HEADERS, SIGN_TYPE_MISMATCH, TIMESTAMP_EXPIRED or SIGNATURE_INVALID
    reason: Optional[str] = None


def verify_notify(
    headers: Mapping[str, Union[str, Sequence[str]]],
    raw_body: Union[str, bytes],
    key: VerifyingKey,
    tolerance_seconds: int = 300,
    now: Optional[int] = None,
) -> NotifyVerification:
    """Verifies a notify over its raw body, before you parse it. Also drop nonces you have seen."""
    lower = {k.lower(): v for k, v in headers.items()}

    def header(name: str) -> Optional[str]:
        value = lower.get(name)
        if isinstance(value, (list, tuple)):
            return value[0] if value else None
        return value

    timestamp = header(HEADERS["timestamp"])
    nonce = header(HEADERS["nonce"])
    signature = header(HEADERS["signature"])
    sign_type = header(HEADERS["sign_type"])
    if not timestamp or not nonce or not signature or not sign_type:
        return NotifyVerification(False, "MISSING_HEADERS")
    if sign_type != key.type:
        return NotifyVerification(False, "SIGN_TYPE_MISMATCH")
    current = int(time.time()) if now is None else now
    if not timestamp.isdigit() or not timestamp.isascii() or abs(current - int(timestamp)) > tolerance_seconds:
        return NotifyVerification(False, "TIMESTAMP_EXPIRED")
    body = raw_body.decode("utf-8") if isinstance(raw_body, bytes) else raw_body
    if not verify_string(notify_signing_string(timestamp, nonce, body), signature, key):
        return NotifyVerification(False, "SIGNATURE_INVALID")
    return NotifyVerification(True)
