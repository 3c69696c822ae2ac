<?php

declare(strict_types=1);

namespace Qingyun\Pay;

/**
 * The merchant API: every request signed, every refusal an ApiException with the stable code.
 * Requests and answers are arrays as in the API reference; amounts are integers in fen.
 * HTTP through curl when the extension is loaded, PHP's streams otherwise.
 */
final class Client
{
    /** @var string */
    private $baseUrl;
    /** @var string */
    private $mchNo;
    /** @var string */
    private $appId;
    /** @var Key */
    private $key;
    /** @var int */
    private $timeoutSeconds;

    public function __construct(string $baseUrl, string $mchNo, string $appId, Key $key, int $timeoutSeconds = 30)
    {
        $this->baseUrl = rtrim($baseUrl, '/');
        $this->mchNo = $mchNo;
        $this->appId = $appId;
        $this->key = $key;
        $this->timeoutSeconds = $timeoutSeconds;
    }

    /** Idempotent on mchOrderNo: a same-body retry returns the same order. */
    public function createOrder(array $request): array
    {
        return $this->call('POST', '/api/v1/orders', $request);
    }

    public function getOrder(string $orderNo): array
    {
        return $this->call('GET', '/api/v1/orders/' . rawurlencode($orderNo));
    }

    public function getOrderByMchOrderNo(string $mchOrderNo): array
    {
        return $this->call('GET', '/api/v1/orders?mchOrderNo=' . rawurlencode($mchOrderNo));
    }

    public function closeOrder(string $orderNo): array
    {
        return $this->call('POST', '/api/v1/orders/' . rawurlencode($orderNo) . '/close', new \stdClass());
    }

    /** Cancels (撤销) an auth-code payment the customer has not confirmed. */
    public function cancelOrder(string $orderNo): array
    {
        return $this->call('POST', '/api/v1/orders/' . rawurlencode($orderNo) . '/cancel', new \stdClass());
    }

    /** Asks the platform to query the channel now. */
    public function syncOrder(string $orderNo): array
    {
        return $this->call('POST', '/api/v1/orders/' . rawurlencode($orderNo) . '/sync', new \stdClass());
    }

    /** Idempotent on mchRefundNo: a same-body retry returns the same refund. */
    public function createRefund(array $request): array
    {
        return $this->call('POST', '/api/v1/refunds', $request);
    }

    public function getRefund(string $refundNo): array
    {
        return $this->call('GET', '/api/v1/refunds/' . rawurlencode($refundNo));
    }

    public function getRefundByMchRefundNo(string $mchRefundNo): array
    {
        return $this->call('GET', '/api/v1/refunds?mchRefundNo=' . rawurlencode($mchRefundNo));
    }

    public function getBalance(): array
    {
        return $this->call('GET', '/api/v1/balance');
    }

    /**
     * Sends one signed request (no payload: no body); returns the decoded answer or throws ApiException.
     *
     * @param array<string, mixed>|\stdClass|null $payload
     */
    public function call(string $method, string $pathWithQuery, $payload = null): array
    {
        // Serialise once, sign those bytes, send those bytes.
        $body = $payload === null ? '' : json_encode($payload, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
        $headers = Signing::signRequest($method, $pathWithQuery, $body, $this->mchNo, $this->appId, $this->key);
        if ($body !== '') {
            $headers['Content-Type'] = 'application/json';
        }
        [$status, $text] = self::send($method, $this->baseUrl . $pathWithQuery, $headers, $body, $this->timeoutSeconds);
        if ($status < 200 || $status > 299) {
            $parsed = json_decode($text, true);
            if (!is_array($parsed) || !isset($parsed['code'])) {
                throw new ApiException($status, 'HTTP_ERROR', 'HTTP ' . $status . ': ' . $text);
            }
            throw new ApiException(
                $status,
                (string) $parsed['code'],
                (string) ($parsed['message'] ?? ''),
                isset($parsed['requestId']) ? (string) $parsed['requestId'] : null,
                isset($parsed['details']) && is_array($parsed['details']) ? $parsed['details'] : null
            );
        }
        if ($text === '') {
            return [];
        }
        return json_decode($text, true, 512, JSON_THROW_ON_ERROR);
    }

    /**
     * One HTTP exchange: [status, body].
     *
     * @param array<string, string> $headers
     * @return array{0: int, 1: string}
     */
    public static function send(string $method, string $url, array $headers, string $body, int $timeoutSeconds = 30): array
    {
        $lines = [];
        foreach ($headers as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }
        if (function_exists('curl_init')) {
            $curl = curl_init($url);
            curl_setopt_array($curl, [
                CURLOPT_CUSTOMREQUEST => $method,
                CURLOPT_HTTPHEADER => array_merge($lines, ['Expect:']),
                CURLOPT_RETURNTRANSFER => true,
                CURLOPT_TIMEOUT => $timeoutSeconds,
            ]);
            if ($body !== '') {
                curl_setopt($curl, CURLOPT_POSTFIELDS, $body);
            }
            $text = curl_exec($curl);
            if ($text === false) {
                $error = curl_error($curl);
                curl_close($curl);
                throw new \RuntimeException('HTTP request failed: ' . $error);
            }
            $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
            curl_close($curl);
            return [$status, (string) $text];
        }
        $context = stream_context_create([
            'http' => [
                'method' => $method,
                'header' => implode("\r\n", array_merge($lines, ['Connection: close'])),
                'content' => $body,
                'ignore_errors' => true,
                'follow_location' => 0,
                'timeout' => $timeoutSeconds,
            ],
        ]);
        $text = @file_get_contents($url, false, $context);
        $responseHeaders = $http_response_header ?? [];
        if ($text === false || count($responseHeaders) === 0) {
            throw new \RuntimeException('HTTP request to ' . $url . ' failed');
        }
        // The status line of the answer (redirects are not followed).
        $status = 0;
        foreach ($responseHeaders as $line) {
            if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $m)) {
                $status = (int) $m[1];
            }
        }
        return [$status, $text];
    }
}
