"""A client for the merchant API: every request signed, every refusal an ApiError with the stable code."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

from .signing import SigningKey, sign_request

Json = Dict[str, Any]


class ApiError(Exception):
    """A refusal: `code` is the platform's stable error code (SIGNATURE_INVALID, ORDER_STATE_INVALID …)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: Optional[str] = None,
        details: Optional[Json] = None,
    ):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.details = details


def _q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


class Client:
    def __init__(self, base_url: str, mch_no: str, app_id: str, key: SigningKey, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.mch_no = mch_no
        self.app_id = app_id
        self.key = key
        self.timeout = timeout

    # Orders
    def create_order(self, request: Json) -> Json:
        """Idempotent on mchOrderNo: a same-body retry returns the same order."""
        return self.call("POST", "/api/v1/orders", request)

    def get_order(self, order_no: str) -> Json:
        return self.call("GET", f"/api/v1/orders/{_q(order_no)}")

    def get_order_by_mch_order_no(self, mch_order_no: str) -> Json:
        return self.call("GET", f"/api/v1/orders?mchOrderNo={_q(mch_order_no)}")

    def close_order(self, order_no: str) -> Json:
        return self.call("POST", f"/api/v1/orders/{_q(order_no)}/close", {})

    def cancel_order(self, order_no: str) -> Json:
        """Cancels (撤销) an auth-code payment the customer has not confirmed."""
        return self.call("POST", f"/api/v1/orders/{_q(order_no)}/cancel", {})

    def sync_order(self, order_no: str) -> Json:
        """Asks the platform to query the channel now."""
        return self.call("POST", f"/api/v1/orders/{_q(order_no)}/sync", {})

    # Refunds
    def create_refund(self, request: Json) -> Json:
        """Idempotent on mchRefundNo: a same-body retry returns the same refund."""
        return self.call("POST", "/api/v1/refunds", request)

    def get_refund(self, refund_no: str) -> Json:
        return self.call("GET", f"/api/v1/refunds/{_q(refund_no)}")

    def get_refund_by_mch_refund_no(self, mch_refund_no: str) -> Json:
        return self.call("GET", f"/api/v1/refunds?mchRefundNo={_q(mch_refund_no)}")

    def get_balance(self) -> Json:
        return self.call("GET", "/api/v1/balance")

    def call(self, method: str, path_with_query: str, payload: Optional[Json] = None) -> Json:
        """Sends one signed request; returns the parsed body or raises ApiError."""
        # Serialise once, sign those bytes, send those bytes.
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        headers = sign_request(method, path_with_query, body, self.mch_no, self.app_id, self.key)
        if body:
            headers["content-type"] = "application/json"
        request = urllib.request.Request(
            self.base_url + path_with_query,
            data=body.encode("utf-8") if body else None,
            headers=headers,
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            raise _api_error(error.code, error.read().decode("utf-8", "replace")) from None
        return json.loads(text) if text else {}


def _api_error(status: int, text: str) -> ApiError:
    try:
        parsed = json.loads(text) if text else {}
    except ValueError:
        parsed = {}
    if not isinstance(parsed, dict):
        parsed = {}
    return ApiError(
        status,
        str(parsed.get("code", "HTTP_ERROR")),
        str(parsed.get("message", text)),
        parsed.get("requestId"),
        parsed.get("details"),
    )
