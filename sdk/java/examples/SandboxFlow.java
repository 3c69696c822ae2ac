import cn.qingyun.pay.ApiException;
import cn.qingyun.pay.Json;
import cn.qingyun.pay.QingyunClient;
import cn.qingyun.pay.Signing;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Creates an order on the sandbox, pays it, queries it, refunds it, closes another one, and verifies
 * the notifies it receives on a local listener. Checks the signing against sdk/testdata first.
 *
 * Environment: QY_BASE_URL, QY_MCH_NO, QY_APP_ID, QY_APP_SECRET, QY_PRODUCT (default sandbox_qr),
 * QY_VECTORS (default ../testdata/signing-vectors.json from sdk/java). With QY_RSA_APP_ID,
 * QY_RSA_PRIVATE_KEY_FILE and QY_PLATFORM_PUBLIC_KEY_FILE (an app that takes RSA-SHA256 requests and
 * signs its notifies with RSA) it also pays an order signed with RSA and verifies its RSA notify.
 */
public final class SandboxFlow {
    static void check(boolean condition, String what) {
        if (!condition) throw new AssertionError(what);
    }

    static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    @SuppressWarnings("unchecked")
    static void checkVectors(Path path) throws Exception {
        Map<String, Object> v = Json.parseObject(Files.readString(path, StandardCharsets.UTF_8));
        Signing.Key hmac = Signing.Key.hmac((String) v.get("secret"));
        Signing.Key rsa = Signing.Key.rsaPrivate((String) v.get("merchantPrivateKeyPem"));
        Signing.Key publicKey = Signing.Key.rsaPublic((String) v.get("merchantPublicKeyPem"));
        for (Object item : (List<Object>) v.get("requests")) {
            Map<String, Object> r = (Map<String, Object>) item;
            String text = Signing.requestSigningString((String) r.get("method"), (String) r.get("pathWithQuery"),
                    (String) v.get("mchNo"), (String) v.get("appId"), (String) r.get("timestamp"),
                    (String) r.get("nonce"), (String) r.get("body"));
            check(text.equals(r.get("signingString")), "signing string of " + r.get("pathWithQuery"));
            check(Signing.sign(text, hmac).equals(r.get("hmacSignature")), "HMAC of " + r.get("pathWithQuery"));
            check(Signing.sign(text, rsa).equals(r.get("rsaSignature")), "RSA of " + r.get("pathWithQuery"));
        }
        Map<String, Object> notify = (Map<String, Object>) v.get("notify");
        long now = (Long) notify.get("now");
        List<Object> cases = (List<Object>) notify.get("cases");
        for (Object item : cases) {
            Map<String, Object> c = (Map<String, Object>) item;
            Signing.Key key = Signing.HMAC_SHA256.equals(c.get("signType")) ? hmac : publicKey;
            String reason = Signing.verifyNotify((Map<String, Object>) c.get("headers"), (String) c.get("body"), key, 300, now);
            boolean ok = Boolean.TRUE.equals(c.get("ok"));
            check((reason == null) == ok && java.util.Objects.equals(reason, c.get("reason")),
                    "notify vector '" + c.get("name") + "': " + reason);
        }
        Map<String, Object> first = (Map<String, Object>) cases.get(0);
        String late = Signing.verifyNotify((Map<String, Object>) first.get("headers"), (String) first.get("body"), hmac, 300, now + 301);
        check("TIMESTAMP_EXPIRED".equals(late), "a notify 301 s old is refused");
    }

    static Map<String, Object> until(String what, Supplier<Map<String, Object>> fetch, Predicate<Map<String, Object>> done)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            Map<String, Object> current = fetch.get();
            if (done.test(current)) return current;
            if (System.currentTimeMillis() > deadline) throw new AssertionError(what + ": still " + current.get("state"));
            Thread.sleep(200);
        }
    }

    static Map<String, Object> map(Object... pairs) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) out.put((String) pairs[i], pairs[i + 1]);
        return out;
    }

    public static void main(String[] args) throws Exception {
        try {
            run();
        } catch (Throwable e) {
            System.err.println("java example: FAILED: " + e);
            System.exit(1);
        }
    }

    @SuppressWarnings("unchecked")
    static void run() throws Exception {
        checkVectors(Path.of(env("QY_VECTORS", "../testdata/signing-vectors.json")));
        System.out.println("signing vectors: HMAC and RSA match");

        String product = env("QY_PRODUCT", "sandbox_qr");
        Signing.Key key = Signing.Key.hmac(env("QY_APP_SECRET", ""));
        String rsaApp = env("QY_RSA_APP_ID", "");
        Map<String, Signing.Key> notifyKeys = new LinkedHashMap<>();
        notifyKeys.put(env("QY_APP_ID", ""), key);
        if (!rsaApp.isEmpty()) {
            notifyKeys.put(rsaApp, Signing.Key.rsaPublic(Files.readString(Path.of(env("QY_PLATFORM_PUBLIC_KEY_FILE", "")))));
        }
        LinkedBlockingQueue<Map<String, Object>> notifies = new LinkedBlockingQueue<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/notify", exchange -> {
            String raw = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Signing.Key appKey = notifyKeys.get(String.valueOf(exchange.getRequestHeaders().getFirst("X-Qy-App")));
            String reason = appKey == null ? "unknown app" : Signing.verifyNotify(exchange.getRequestHeaders(), raw, appKey);
            byte[] answer = (reason == null ? "success" : "refused: " + reason).getBytes(StandardCharsets.UTF_8);
            if (reason == null) notifies.add(Json.parseObject(raw));
            exchange.sendResponseHeaders(reason == null ? 200 : 401, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        server.start();
        String notifyUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/notify";
        try {
            QingyunClient client = new QingyunClient(env("QY_BASE_URL", ""), env("QY_MCH_NO", ""), env("QY_APP_ID", ""), key);
            String run = "JAVA" + System.currentTimeMillis();
            Map<String, Object> order = client.createOrder(map("mchOrderNo", run + "-1", "productCode", product,
                    "amount", 1234L, "subject", "Java SDK 示例", "notifyUrl", notifyUrl));
            String orderNo = (String) order.get("orderNo");
            System.out.println("created " + orderNo + " (" + order.get("state") + ", " + order.get("amount") + " fen)");
            Map<String, Object> payData = (Map<String, Object>) order.get("payData");
            check(payData != null, "a sandbox order has a pay URL");

            // The sandbox's pay page: what the payer's "pay" button posts.
            HttpResponse<String> paid = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create((String) payData.get("value")))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString("result=success")).build(),
                    HttpResponse.BodyHandlers.ofString());
            check(paid.statusCode() == 200, "the sandbox took the payment: " + paid.statusCode());

            Map<String, Object> after = until("order paid", () -> client.getOrder(orderNo), o -> "paid".equals(o.get("state")));
            check(orderNo.equals(client.getOrderByMchOrderNo(run + "-1").get("orderNo")), "found by the merchant order number");
            System.out.println("paid " + orderNo + " at " + after.get("paidAt"));
            awaitNotify(notifies, "order.paid", "orderNo", orderNo);
            System.out.println("notify order.paid verified for " + orderNo);

            Map<String, Object> refund = client.createRefund(map("orderNo", orderNo, "mchRefundNo", run + "-R1",
                    "amount", 500L, "reason", "示例退款", "notifyUrl", notifyUrl));
            String refundNo = (String) refund.get("refundNo");
            refund = until("refund settled", () -> client.getRefund(refundNo), r -> !"pending".equals(r.get("state")));
            check("succeeded".equals(refund.get("state")), "refund " + refund.get("state"));
            System.out.println("refunded " + refund.get("amount") + " fen (" + refundNo + ", " + refund.get("state") + ")");
            awaitNotify(notifies, "refund.succeeded", "refundNo", refundNo);
            System.out.println("notify refund.succeeded verified for " + refundNo);

            try {
                client.closeOrder(orderNo);
                throw new AssertionError("closing a paid order was accepted");
            } catch (ApiException e) {
                check("ORDER_STATE_INVALID".equals(e.getCode()), "closing a paid order: " + e.getCode());
                System.out.println("closing the paid order is refused: " + e.getCode() + " (" + e.getStatus() + ")");
            }

            Map<String, Object> other = client.createOrder(map("mchOrderNo", run + "-2", "productCode", product,
                    "amount", 100L, "subject", "to close"));
            Map<String, Object> closed = client.closeOrder((String) other.get("orderNo"));
            check("closed".equals(closed.get("state")), "closed order is " + closed.get("state"));
            System.out.println("closed " + closed.get("orderNo"));

            if (!rsaApp.isEmpty()) {
                Signing.Key rsaKey = Signing.Key.rsaPrivate(Files.readString(Path.of(env("QY_RSA_PRIVATE_KEY_FILE", ""))));
                QingyunClient rsaClient = new QingyunClient(env("QY_BASE_URL", ""), env("QY_MCH_NO", ""), rsaApp, rsaKey);
                Map<String, Object> signed = rsaClient.createOrder(map("mchOrderNo", run + "-3", "productCode", product,
                        "amount", 200L, "subject", "RSA", "notifyUrl", notifyUrl));
                String signedNo = (String) signed.get("orderNo");
                HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create((String) ((Map<String, Object>) signed.get("payData")).get("value")))
                                .header("Content-Type", "application/x-www-form-urlencoded")
                                .POST(HttpRequest.BodyPublishers.ofString("result=success")).build(),
                        HttpResponse.BodyHandlers.ofString());
                awaitNotify(notifies, "order.paid", "orderNo", signedNo);
                System.out.println("RSA: order " + signedNo + " created with an RSA signature, its RSA-signed notify verified");
            }
        } finally {
            server.stop(0);
        }
        System.out.println("java example: ok");
    }

    static void awaitNotify(LinkedBlockingQueue<Map<String, Object>> notifies, String event, String field, String number)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            Map<String, Object> n = notifies.poll(500, TimeUnit.MILLISECONDS);
            if (n != null && event.equals(n.get("event")) && number.equals(n.get(field))) return;
        }
        throw new AssertionError("no verified " + event + " notify for " + number);
    }
}
