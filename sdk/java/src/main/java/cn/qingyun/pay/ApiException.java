package cn.qingyun.pay;

import java.util.Map;

/** A refusal: {@link #getCode()} is the platform's stable error code (SIGNATURE_INVALID, ORDER_STATE_INVALID …). */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;
    private final String requestId;
    private final transient Map<String, Object> details;

    public ApiException(int status, String code, String message, String requestId, Map<String, Object> details) {
        super(code + ": " + message);
        this.status = status;
        this.code = code;
        this.requestId = requestId;
        this.details = details;
    }

    public int getStatus() { return status; }

    public String getCode() { return code; }

    public String getRequestId() { return requestId; }

    public Map<String, Object> getDetails() { return details; }
}
