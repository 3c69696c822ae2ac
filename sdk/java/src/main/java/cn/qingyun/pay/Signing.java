package cn.qingyun.pay;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Request and notify signatures, byte for byte as the platform checks them.
 *
 * <pre>
 * Request: base64(sign("METHOD\nPATH?QUERY\nMCH\nAPP\nTIMESTAMP\nNONCE\nBODY\n"))
 * Notify:  base64(sign("TIMESTAMP\nNONCE\nBODY\n"))
 * </pre>
 * sign = HMAC-SHA256 with the app secret, or RSA-SHA256 (PKCS#1 v1.5) with a private key; the text
 * is UTF-8; base64 is the standard alphabet with padding, and only its one canonical form is accepted.
 */
public final class Signing {
    public static final String HMAC_SHA256 = "HMAC-SHA256";
    public static final String RSA_SHA256 = "RSA-SHA256";

    public static final String HEADER_MERCHANT = "X-Qy-Mch";
    public static final String HEADER_APP = "X-Qy-App";
    public static final String HEADER_TIMESTAMP = "X-Qy-Timestamp";
    public static final String HEADER_NONCE = "X-Qy-Nonce";
    public static final String HEADER_SIGN_TYPE = "X-Qy-Sign-Type";
    public static final String HEADER_SIGNATURE = "X-Qy-Signature";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern BASE64 = Pattern.compile("^[A-Za-z0-9+/]+={0,2}$");

    private Signing() {}

    /** A signing or verifying key: the app secret, an RSA private key, or an RSA public key. */
    public static final class Key {
        final String type;
        final byte[] secret;
        final PrivateKey privateKey;
        final PublicKey publicKey;

        private Key(String type, byte[] secret, PrivateKey privateKey, PublicKey publicKey) {
            this.type = type;
            this.secret = secret;
            this.privateKey = privateKey;
            this.publicKey = publicKey;
        }

        public String type() { return type; }

        /** The app secret: signs requests and verifies HMAC notifies. */
        public static Key hmac(String secret) {
            return new Key(HMAC_SHA256, secret.getBytes(StandardCharsets.UTF_8), null, null);
        }

        /** Your RSA private key, PEM: PKCS#8 ("PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY"). */
        public static Key rsaPrivate(String pem) {
            try {
                byte[] der = pemBody(pem);
                if (pem.contains("BEGIN RSA PRIVATE KEY")) der = pkcs1ToPkcs8(der);
                PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
                return new Key(RSA_SHA256, null, key, null);
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("not an RSA private key in PEM", e);
            }
        }

        /** The platform's RSA public key of your app, PEM ("PUBLIC KEY"): verifies RSA notifies. */
        public static Key rsaPublic(String pem) {
            try {
                PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(pemBody(pem)));
                return new Key(RSA_SHA256, null, null, key);
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("not an RSA public key in PEM", e);
            }
        }

        @Override
        public String toString() {
            return "Key(" + type + ")";
        }
    }

    private static byte[] pemBody(String pem) {
        String body = pem.replaceAll("-----(BEGIN|END) [A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(body);
    }

    /** Wraps a PKCS#1 RSAPrivateKey in the PKCS#8 PrivateKeyInfo the JDK reads. */
    private static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] octets = concat(new byte[] {0x04}, derLength(pkcs1.length), pkcs1);
        byte[] inner = concat(new byte[] {0x02, 0x01, 0x00}, algorithm, octets);
        return concat(new byte[] {0x30}, derLength(inner.length), inner);
    }

    private static byte[] derLength(int length) {
        if (length < 0x80) return new byte[] {(byte) length};
        if (length < 0x100) return new byte[] {(byte) 0x81, (byte) length};
        if (length < 0x10000) return new byte[] {(byte) 0x82, (byte) (length >> 8), (byte) length};
        return new byte[] {(byte) 0x83, (byte) (length >> 16), (byte) (length >> 8), (byte) length};
    }

    private static byte[] concat(byte[]... parts) {
        int size = 0;
        for (byte[] p : parts) size += p.length;
        byte[] out = new byte[size];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    public static String requestSigningString(String method, String pathWithQuery, String mchNo, String appId,
            String timestamp, String nonce, String body) {
        return method.toUpperCase(Locale.ROOT) + "\n" + pathWithQuery + "\n" + mchNo + "\n" + appId + "\n"
                + timestamp + "\n" + nonce + "\n" + body + "\n";
    }

    public static String notifySigningString(String timestamp, String nonce, String body) {
        return timestamp + "\n" + nonce + "\n" + body + "\n";
    }

    private static byte[] hmac(byte[] secret, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The base64 signature of the UTF-8 text with an HMAC secret or an RSA private key. */
    public static String sign(String text, Key key) {
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        if (key.type.equals(HMAC_SHA256)) return Base64.getEncoder().encodeToString(hmac(key.secret, data));
        if (key.privateKey == null) throw new IllegalArgumentException("RSA signing needs a private key");
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key.privateKey);
            signature.update(data);
            return Base64.getEncoder().encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Standard padded base64 in its one canonical form (no whitespace, no base64url, no stray bits). */
    public static boolean isCanonicalBase64(String text) {
        if (text == null || text.isEmpty() || text.length() % 4 != 0 || !BASE64.matcher(text).matches()) return false;
        try {
            return Base64.getEncoder().encodeToString(Base64.getDecoder().decode(text)).equals(text);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** False for a wrong signature and for any signature not in canonical standard base64. */
    public static boolean verify(String text, String signature, Key key) {
        if (!isCanonicalBase64(signature)) return false;
        byte[] given = Base64.getDecoder().decode(signature);
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        if (key.type.equals(HMAC_SHA256)) return MessageDigest.isEqual(given, hmac(key.secret, data));
        if (key.publicKey == null) throw new IllegalArgumentException("RSA verification needs a public key");
        try {
            Signature verifier = Signature.getInstance("SHA256withRSA");
            verifier.initVerify(key.publicKey);
            verifier.update(data);
            return verifier.verify(given);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** 32 hex characters. */
    public static String newNonce() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) out.append(String.format("%02x", b));
        return out.toString();
    }

    /** The X-Qy-* headers of one request, signed now with a new nonce. */
    public static Map<String, String> signRequest(String method, String pathWithQuery, String body, String mchNo,
            String appId, Key key) {
        return signRequest(method, pathWithQuery, body, mchNo, appId, key, System.currentTimeMillis() / 1000, newNonce());
    }

    public static Map<String, String> signRequest(String method, String pathWithQuery, String body, String mchNo,
            String appId, Key key, long timestamp, String nonce) {
        String ts = Long.toString(timestamp);
        String text = requestSigningString(method, pathWithQuery, mchNo, appId, ts, nonce, body);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(HEADER_MERCHANT, mchNo);
        headers.put(HEADER_APP, appId);
        headers.put(HEADER_TIMESTAMP, ts);
        headers.put(HEADER_NONCE, nonce);
        headers.put(HEADER_SIGN_TYPE, key.type);
        headers.put(HEADER_SIGNATURE, sign(text, key));
        return headers;
    }

    /**
     * Verifies a notify over its raw body, before you parse it: null when it is ours, else the reason
     * (MISSING_HEADERS, SIGN_TYPE_MISMATCH, TIMESTAMP_EXPIRED, SIGNATURE_INVALID). Header names in any
     * case. Also drop nonces you have already seen.
     */
    public static String verifyNotify(Map<String, ? extends Object> headers, String rawBody, Key key) {
        return verifyNotify(headers, rawBody, key, 300, System.currentTimeMillis() / 1000);
    }

    public static String verifyNotify(Map<String, ? extends Object> headers, String rawBody, Key key,
            long toleranceSeconds, long now) {
        Map<String, String> lower = new LinkedHashMap<>();
        for (Map.Entry<String, ? extends Object> e : headers.entrySet()) {
            Object value = e.getValue();
            if (value instanceof List) value = ((List<?>) value).isEmpty() ? null : ((List<?>) value).get(0);
            if (e.getKey() != null && value != null) lower.put(e.getKey().toLowerCase(Locale.ROOT), value.toString());
        }
        String timestamp = lower.getOrDefault("x-qy-timestamp", "");
        String nonce = lower.getOrDefault("x-qy-nonce", "");
        String signature = lower.getOrDefault("x-qy-signature", "");
        String signType = lower.getOrDefault("x-qy-sign-type", "");
        if (timestamp.isEmpty() || nonce.isEmpty() || signature.isEmpty() || signType.isEmpty()) return "MISSING_HEADERS";
        if (!signType.equals(key.type)) return "SIGN_TYPE_MISMATCH";
        if (!timestamp.matches("\\d{1,18}") || Math.abs(now - Long.parseLong(timestamp)) > toleranceSeconds) {
            return "TIMESTAMP_EXPIRED";
        }
        if (!verify(notifySigningString(timestamp, nonce, rawBody), signature, key)) return "SIGNATURE_INVALID";
        return null;
    }
}
