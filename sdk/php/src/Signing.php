<?php

declare(strict_types=1);

namespace Qingyun\Pay;

/**
 * Request and notify signatures, byte for byte as the platform checks them.
 *
 * Request: base64(sign("METHOD\nPATH?QUERY\nMCH\nAPP\nTIMESTAMP\nNONCE\nBODY\n"))
 * Notify:  base64(sign("TIMESTAMP\nNONCE\nBODY\n"))
 * sign = HMAC-SHA256 with the app secret, or RSA-SHA256 (PKCS#1 v1.5) with a private key; the text
 * is UTF-8; base64 is the standard alphabet with padding, and only its one canonical form is accepted.
 */
final class Signing
{
    public const HMAC_SHA256 = 'HMAC-SHA256';
    public const RSA_SHA256 = 'RSA-SHA256';

    public const HEADER_MERCHANT = 'X-Qy-Mch';
    public const HEADER_APP = 'X-Qy-App';
    public const HEADER_TIMESTAMP = 'X-Qy-Timestamp';
    public const HEADER_NONCE = 'X-Qy-Nonce';
    public const HEADER_SIGN_TYPE = 'X-Qy-Sign-Type';
    public const HEADER_SIGNATURE = 'X-Qy-Signature';

    public static function requestSigningString(
        string $method,
        string $pathWithQuery,
        string $mchNo,
        string $appId,
        string $timestamp,
        string $nonce,
        string $body
    ): string {
        return strtoupper($method) . "\n" . $pathWithQuery . "\n" . $mchNo . "\n" . $appId . "\n"
            . $timestamp . "\n" . $nonce . "\n" . $body . "\n";
    }

    public static function notifySigningString(string $timestamp, string $nonce, string $body): string
    {
        return $timestamp . "\n" . $nonce . "\n" . $body . "\n";
    }

    /** @param Key $key an HMAC secret or an RSA private key */
    public static function sign(string $text, Key $key): string
    {
        if ($key->type === self::HMAC_SHA256) {
            return base64_encode(hash_hmac('sha256', $text, $key->material, true));
        }
        $private = openssl_pkey_get_private($key->material);
        if ($private === false) {
            throw new \InvalidArgumentException('not an RSA private key in PEM');
        }
        $signature = '';
        if (!openssl_sign($text, $signature, $private, OPENSSL_ALGO_SHA256)) {
            throw new \RuntimeException('RSA signing failed: ' . (string) openssl_error_string());
        }
        return base64_encode($signature);
    }

    /** Standard padded base64 in its one canonical form (no whitespace, no base64url, no stray bits). */
    public static function isCanonicalBase64(string $text): bool
    {
        if ($text === '' || strlen($text) % 4 !== 0 || !preg_match('/^[A-Za-z0-9+\/]+={0,2}$/', $text)) {
            return false;
        }
        $decoded = base64_decode($text, true);
        return $decoded !== false && base64_encode($decoded) === $text;
    }

    /** False for a wrong signature and for any signature not in canonical standard base64. */
    public static function verify(string $text, string $signature, Key $key): bool
    {
        if (!self::isCanonicalBase64($signature)) {
            return false;
        }
        $given = (string) base64_decode($signature, true);
        if ($key->type === self::HMAC_SHA256) {
            return hash_equals(hash_hmac('sha256', $text, $key->material, true), $given);
        }
        $public = openssl_pkey_get_public($key->material);
        if ($public === false) {
            return false;
        }
        return openssl_verify($text, $given, $public, OPENSSL_ALGO_SHA256) === 1;
    }

    /** 32 hex characters. */
    public static function newNonce(): string
    {
        return bin2hex(random_bytes(16));
    }

    /**
     * The X-Qy-* headers of one signed request.
     *
     * @return array<string, string>
     */
    public static function signRequest(
        string $method,
        string $pathWithQuery,
        string $body,
        string $mchNo,
        string $appId,
        Key $key,
        ?int $timestamp = null,
        ?string $nonce = null
    ): array {
        $ts = (string) ($timestamp ?? time());
        $nonce = $nonce ?? self::newNonce();
        $text = self::requestSigningString($method, $pathWithQuery, $mchNo, $appId, $ts, $nonce, $body);
        return [
            self::HEADER_MERCHANT => $mchNo,
            self::HEADER_APP => $appId,
            self::HEADER_TIMESTAMP => $ts,
            self::HEADER_NONCE => $nonce,
            self::HEADER_SIGN_TYPE => $key->type,
            self::HEADER_SIGNATURE => self::sign($text, $key),
        ];
    }

    /**
     * Verifies a notify over its raw body, before you parse it: null when it is ours, else the reason
     * (MISSING_HEADERS, SIGN_TYPE_MISMATCH, TIMESTAMP_EXPIRED, SIGNATURE_INVALID). Header names in any
     * case, values as strings or lists. Also drop nonces you have already seen.
     *
     * @param array<string, string|string[]> $headers
     */
    public static function verifyNotify(
        array $headers,
        string $rawBody,
        Key $key,
        int $toleranceSeconds = 300,
        ?int $now = null
    ): ?string {
        $lower = [];
        foreach ($headers as $name => $value) {
            $lower[strtolower((string) $name)] = is_array($value) ? (string) reset($value) : (string) $value;
        }
        $timestamp = $lower['x-qy-timestamp'] ?? '';
        $nonce = $lower['x-qy-nonce'] ?? '';
        $signature = $lower['x-qy-signature'] ?? '';
        $signType = $lower['x-qy-sign-type'] ?? '';
        if ($timestamp === '' || $nonce === '' || $signature === '' || $signType === '') {
            return 'MISSING_HEADERS';
        }
        if ($signType !== $key->type) {
            return 'SIGN_TYPE_MISMATCH';
        }
        $now = $now ?? time();
        if (!preg_match('/^\d+$/', $timestamp) || abs($now - (int) $timestamp) > $toleranceSeconds) {
            return 'TIMESTAMP_EXPIRED';
        }
        if (!self::verify(self::notifySigningString($timestamp, $nonce, $rawBody), $signature, $key)) {
            return 'SIGNATURE_INVALID';
        }
        return null;
    }
}
