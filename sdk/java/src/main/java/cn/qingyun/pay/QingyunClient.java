package cn.qingyun.pay;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The merchant API: every request signed, every refusal an {@link ApiException} with the stable
 * code. Requests and answers are maps as in the API reference; amounts are integers in fen (Long).
 */
public final class QingyunClient {
    private final String baseUrl;
    private final String mchNo;
    private final String appId;
    private final Signing.Key key;
    private final HttpClient http;

    public QingyunClient(String baseUrl, String mchNo, String appId, Signing.Key key) {
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.mchNo = mchNo;
        this.appId = appId;
        this.key = key;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Idempotent on mchOrderNo: a same-body retry returns the same order. */
    public Map<String, Object> createOrder(Map<String, Object> request) {
        return call("POST", "/api/v1/orders", request);
    }

    public Map<String, Object> getOrder(String orderNo) {
        return call("GET", "/api/v1/orders/" + enc(orderNo), null);
    }

    public Map<String, Object> getOrderByMchOrderNo(String mchOrderNo) {
        return call("GET", "/api/v1/orders?mchOrderNo=" + enc(mchOrderNo), null);
    }

    public Map<String, Object> closeOrder(String orderNo) {
        return call("POST", "/api/v1/orders/" + enc(orderNo) + "/close", new LinkedHashMap<>());
    }

    /** Cancels (撤销) an auth-code payment the customer has not confirmed. */
    public Map<String, Object> cancelOrder(String orderNo) {
        return call("POST", "/api/v1/orders/" + enc(orderNo) + "/cancel", new LinkedHashMap<>());
    }

    /** Asks the platform to query the channel now. */
    public Map<String, Object> syncOrder(String orderNo) {
        return call("POST", "/api/v1/orders/" + enc(orderNo) + "/sync", new LinkedHashMap<>());
    }

    /** Idempotent on mchRefundNo: a same-body retry returns the same refund. */
    public Map<String, Object> createRefund(Map<String, Object> request) {
        return call("POST", "/api/v1/refunds", request);
    }

    public Map<String, Object> getRefund(String refundNo) {
        return call("GET", "/api/v1/refunds/" + enc(refundNo), null);
    }

    public Map<String, Object> getRefundByMchRefundNo(String mchRefundNo) {
        return call("GET", "/api/v1/refunds?mchRefundNo=" + enc(mchRefundNo), null);
    }

    public Map<String, Object> getBalance() {
        return call("GET", "/api/v1/balance", null);
    }

    /** Sends one signed request (payload null: no body); returns the parsed answer or throws ApiException. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> call(String method, String pathWithQuery, Map<String, Object> payload) {
        // Serialise once, sign those bytes, send those bytes.
        String body = payload == null ? "" : Json.write(payload);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + pathWithQuery))
                .timeout(Duration.ofSeconds(30))
                .method(method, body.isEmpty()
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        Signing.signRequest(method, pathWithQuery, body, mchNo, appId, key).forEach(request::header);
        if (!body.isEmpty()) request.header("Content-Type", "application/json");
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("HTTP request failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        String text = response.body();
        int status = response.statusCode();
        if (status < 200 || status > 299) {
            Map<String, Object> parsed = null;
            try {
                parsed = Json.parseObject(text);
            } catch (IllegalArgumentException notJson) {
                // not the platform's envelope
            }
            if (parsed == null || !(parsed.get("code") instanceof String)) {
                throw new ApiException(status, "HTTP_ERROR", "HTTP " + status + ": " + text, null, null);
            }
            Object details = parsed.get("details");
            throw new ApiException(status, (String) parsed.get("code"), String.valueOf(parsed.get("message")),
                    parsed.get("requestId") instanceof String ? (String) parsed.get("requestId") : null,
                    details instanceof Map ? (Map<String, Object>) details : null);
        }
        return text.isEmpty() ? new LinkedHashMap<>() : Json.parseObject(text);
    }
}
