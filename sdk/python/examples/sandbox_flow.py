"""Creates an order on the sandbox, pays it, queries it, refunds it, closes another one, and verifies
the notifies it receives on a local listener. Checks the signing against sdk/testdata first.

Environment: QY_BASE_URL, QY_MCH_NO, QY_APP_ID, QY_APP_SECRET, QY_PRODUCT (default sandbox_qr),
QY_VECTORS (default ../../testdata/signing-vectors.json from this file). With QY_RSA_APP_ID,
QY_RSA_PRIVATE_KEY_FILE and QY_PLATFORM_PUBLIC_KEY_FILE (an app that takes RSA-SHA256 requests and
signs its notifies with RSA) it also pays an order signed with RSA and verifies its RSA notify.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from qingyun_pay import (  # noqa: E402
    ApiError,
    Client,
    HmacKey,
    RsaPrivateKey,
    RsaPublicKey,
    sign_string,
    verify_notify,
)
from qingyun_pay.signing import rsa_available  # noqa: E402


def check(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


def check_vectors(path: Path) -> str:
    v = json.loads(path.read_text("utf-8"))
    hmac_key = HmacKey(v["secret"])
    rsa = rsa_available()
    for r in v["requests"]:
        from qingyun_pay import request_signing_string

        text = request_signing_string(
            r["method"], r["pathWithQuery"], v["mchNo"], v["appId"], r["timestamp"], r["nonce"], r["body"]
        )
        check(text == r["signingString"], f"signing string of {r['method']} {r['pathWithQuery']}")
        check(sign_string(text, hmac_key) == r["hmacSignature"], f"HMAC of {r['pathWithQuery']}")
        if rsa:
            rsa_sig = sign_string(text, RsaPrivateKey(v["merchantPrivateKeyPem"]))
            check(rsa_sig == r["rsaSignature"], f"RSA of {r['pathWithQuery']}")
    for c in v["notify"]["cases"]:
        if c["signType"] == "RSA-SHA256" and not rsa:
            continue
        key = HmacKey(v["secret"]) if c["signType"] == "HMAC-SHA256" else RsaPublicKey(v["merchantPublicKeyPem"])
        result = verify_notify(c["headers"], c["body"], key, now=v["notify"]["now"])
        check(result.ok == c["ok"] and result.reason == c.get("reason"), f"notify vector '{c['name']}': {result}")
    first = v["notify"]["cases"][0]
    late = verify_notify(first["headers"], first["body"], hmac_key, now=v["notify"]["now"] + 301)
    check(late.reason == "TIMESTAMP_EXPIRED", "a notify 301 s old is refused")
    return "HMAC and RSA" if rsa else "HMAC (RSA skipped: the cryptography package is not installed)"


def main() -> int:
    base_url = os.environ["QY_BASE_URL"]
    secret = os.environ["QY_APP_SECRET"]
    product = os.environ.get("QY_PRODUCT", "sandbox_qr")
    vectors = Path(
        os.environ.get("QY_VECTORS", Path(__file__).resolve().parents[2] / "testdata" / "signing-vectors.json")
    )
    print(f"signing vectors: {check_vectors(vectors)} match")

    key = HmacKey(secret)
    rsa_app = os.environ.get("QY_RSA_APP_ID")
    notify_keys = {os.environ["QY_APP_ID"]: key}
    if rsa_app:
        notify_keys[rsa_app] = RsaPublicKey(Path(os.environ["QY_PLATFORM_PUBLIC_KEY_FILE"]).read_text())
    notifies: "queue.Queue[dict]" = queue.Queue()

    class Listener(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            app_key = notify_keys.get(self.headers.get("x-qy-app", ""))
            result = verify_notify(dict(self.headers.items()), raw, app_key) if app_key else None
            if result is None:
                answer, status = b"refused: unknown app", 401
                self.send_response(status)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                return
            if result.ok:
                notifies.put(json.loads(raw))
                answer, status = b"success", 200
            else:
                answer, status = f"refused: {result.reason}".encode(), 401
            self.send_response(status)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    notify_url = f"http://127.0.0.1:{server.server_address[1]}/notify"

    def await_notify(event: str, number_field: str, number: str) -> dict:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                body = notifies.get(timeout=0.5)
            except queue.Empty:
                continue
            if body.get("event") == event and body.get(number_field) == number:
                return body
        raise AssertionError(f"no verified {event} notify for {number}")

    def until(what: str, fetch, done) -> dict:
        deadline = time.time() + 15
        while True:
            current = fetch()
            if done(current):
                return current
            if time.time() > deadline:
                raise AssertionError(f"{what}: still {current.get('state')}")
            time.sleep(0.2)

    client = Client(base_url, os.environ["QY_MCH_NO"], os.environ["QY_APP_ID"], key)
    run = f"PY{int(time.time() * 1000)}"
    try:
        order = client.create_order(
            {
                "mchOrderNo": f"{run}-1",
                "productCode": product,
                "amount": 1234,
                "subject": "Python SDK 示例",
                "notifyUrl": notify_url,
            }
        )
        print(f"created {order['orderNo']} ({order['state']}, {order['amount']} fen)")
        check(order["payData"] is not None, "a sandbox order has a pay URL")

        # The sandbox's pay page: what the payer's "pay" button posts.
        pay = urllib.request.Request(
            order["payData"]["value"],
            data=b"result=success",
            headers={"content-type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        with urllib.request.urlopen(pay, timeout=15) as response:
            check(response.status == 200, "the sandbox took the payment")

        paid = until("order paid", lambda: client.get_order(order["orderNo"]), lambda o: o["state"] == "paid")
        by_mch = client.get_order_by_mch_order_no(order["mchOrderNo"])
        check(by_mch["orderNo"] == order["orderNo"], "found by the merchant order number")
        print(f"paid {paid['orderNo']} at {paid['paidAt']}")
        notify = await_notify("order.paid", "orderNo", order["orderNo"])
        print(f"notify {notify['event']} verified for {notify['orderNo']}")

        refund = client.create_refund(
            {"orderNo": order["orderNo"], "mchRefundNo": f"{run}-R1", "amount": 500, "reason": "示例退款", "notifyUrl": notify_url}
        )
        refund = until("refund settled", lambda: client.get_refund(refund["refundNo"]), lambda r: r["state"] != "pending")
        check(refund["state"] == "succeeded", f"refund {refund['state']}")
        print(f"refunded {refund['amount']} fen ({refund['refundNo']}, {refund['state']})")
        await_notify("refund.succeeded", "refundNo", refund["refundNo"])
        print(f"notify refund.succeeded verified for {refund['refundNo']}")

        try:
            client.close_order(order["orderNo"])
            raise AssertionError("closing a paid order was accepted")
        except ApiError as error:
            check(error.code == "ORDER_STATE_INVALID", f"closing a paid order: {error.code}")
            print(f"closing the paid order is refused: {error.code} ({error.status})")

        other = client.create_order(
            {"mchOrderNo": f"{run}-2", "productCode": product, "amount": 100, "subject": "to close"}
        )
        closed = client.close_order(other["orderNo"])
        check(closed["state"] == "closed", f"closed order is {closed['state']}")
        print(f"closed {closed['orderNo']}")

        if rsa_app:
            rsa_client = Client(
                base_url,
                os.environ["QY_MCH_NO"],
                rsa_app,
                RsaPrivateKey(Path(os.environ["QY_RSA_PRIVATE_KEY_FILE"]).read_text()),
            )
            signed = rsa_client.create_order(
                {"mchOrderNo": f"{run}-3", "productCode": product, "amount": 200, "subject": "RSA", "notifyUrl": notify_url}
            )
            pay = urllib.request.Request(
                signed["payData"]["value"],
                data=b"result=success",
                headers={"content-type": "application/x-www-form-urlencoded"},
                method="POST",
            )
            urllib.request.urlopen(pay, timeout=15).close()
            await_notify("order.paid", "orderNo", signed["orderNo"])
            print(f"RSA: order {signed['orderNo']} created with an RSA signature, its RSA-signed notify verified")
    finally:
        server.shutdown()
    print("python example: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
