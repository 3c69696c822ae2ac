<?php

/*
 * Creates an order on the sandbox, pays it, queries it, refunds it, closes another one, and verifies
 * the notifies it receives on a local listener. Checks the signing against sdk/testdata first.
 *
 * Environment: QY_BASE_URL, QY_MCH_NO, QY_APP_ID, QY_APP_SECRET, QY_PRODUCT (default sandbox_qr),
 * QY_VECTORS (default ../../testdata/signing-vectors.json from this file). With QY_RSA_APP_ID,
 * QY_RSA_PRIVATE_KEY_FILE and QY_PLATFORM_PUBLIC_KEY_FILE (an app that takes RSA-SHA256 requests and
 * signs its notifies with RSA) it also pays an order signed with RSA and verifies its RSA notify.
 */

declare(strict_types=1);

use Qingyun\Pay\ApiException;
use Qingyun\Pay\Client;
use Qingyun\Pay\Key;
use Qingyun\Pay\Signing;

$autoload = __DIR__ . '/../vendor/autoload.php';
if (is_file($autoload)) {
    require $autoload;
} else {
    // Without Composer: the same PSR-4 mapping.
    spl_autoload_register(static function (string $class): void {
        $prefix = 'Qingyun\\Pay\\';
        if (strncmp($class, $prefix, strlen($prefix)) === 0) {
            require __DIR__ . '/../src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        }
    });
}

function check(bool $condition, string $what): void
{
    if (!$condition) {
        throw new RuntimeException($what);
    }
}

function checkVectors(string $path): void
{
    $v = json_decode((string) file_get_contents($path), true, 512, JSON_THROW_ON_ERROR);
    $hmac = Key::hmac($v['secret']);
    $rsa = Key::rsaPrivate($v['merchantPrivateKeyPem']);
    foreach ($v['requests'] as $r) {
        $text = Signing::requestSigningString($r['method'], $r['pathWithQuery'], $v['mchNo'], $v['appId'], $r['timestamp'], $r['nonce'], $r['body']);
        check($text === $r['signingString'], "signing string of {$r['method']} {$r['pathWithQuery']}");
        check(Signing::sign($text, $hmac) === $r['hmacSignature'], "HMAC of {$r['pathWithQuery']}");
        check(Signing::sign($text, $rsa) === $r['rsaSignature'], "RSA of {$r['pathWithQuery']}");
    }
    foreach ($v['notify']['cases'] as $c) {
        $key = $c['signType'] === Signing::HMAC_SHA256 ? $hmac : Key::rsaPublic($v['merchantPublicKeyPem']);
        $reason = Signing::verifyNotify($c['headers'], $c['body'], $key, 300, $v['notify']['now']);
        check(($reason === null) === $c['ok'] && $reason === ($c['reason'] ?? null), "notify vector '{$c['name']}': " . var_export($reason, true));
    }
    $first = $v['notify']['cases'][0];
    $late = Signing::verifyNotify($first['headers'], $first['body'], $hmac, 300, $v['notify']['now'] + 301);
    check($late === 'TIMESTAMP_EXPIRED', 'a notify 301 s old is refused');
}

/** A one-process notify listener: accepts, verifies and answers one notify at a time. */
final class NotifyListener
{
    /** @var resource */
    private $server;
    /** @var array<string, Key> the verifying key of each app */
    private $keys;
    /** @var list<array<string, mixed>> */
    public $received = [];

    /** @param array<string, Key> $keys */
    public function __construct(array $keys)
    {
        $this->keys = $keys;
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($server === false) {
            throw new RuntimeException("listener: $error");
        }
        $this->server = $server;
    }

    public function url(): string
    {
        return 'http://' . stream_socket_get_name($this->server, false) . '/notify';
    }

    /** Serves the notifies that arrive within $seconds. */
    public function serve(float $seconds): void
    {
        $connection = @stream_socket_accept($this->server, $seconds);
        if ($connection === false) {
            return;
        }
        stream_set_timeout($connection, 5);
        $head = '';
        while (strpos($head, "\r\n\r\n") === false && !feof($connection)) {
            $head .= (string) fgets($connection);
        }
        $headers = [];
        foreach (array_slice(explode("\r\n", trim($head)), 1) as $line) {
            [$name, $value] = array_map('trim', explode(':', $line, 2) + [1 => '']);
            $headers[strtolower($name)] = $value;
        }
        $length = (int) ($headers['content-length'] ?? 0);
        $body = '';
        while (strlen($body) < $length && !feof($connection)) {
            $body .= (string) fread($connection, $length - strlen($body));
        }
        $key = $this->keys[$headers['x-qy-app'] ?? ''] ?? null;
        $reason = $key === null ? 'unknown app' : Signing::verifyNotify($headers, $body, $key);
        if ($reason === null) {
            $this->received[] = json_decode($body, true);
            $answer = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nsuccess";
        } else {
            $text = 'refused: ' . $reason;
            $answer = "HTTP/1.1 401 Unauthorized\r\nContent-Length: " . strlen($text) . "\r\nConnection: close\r\n\r\n" . $text;
        }
        fwrite($connection, $answer);
        fclose($connection);
    }

    public function await(string $event, string $field, string $number): void
    {
        $deadline = microtime(true) + 20;
        while (microtime(true) < $deadline) {
            foreach ($this->received as $n) {
                if (($n['event'] ?? null) === $event && ($n[$field] ?? null) === $number) {
                    return;
                }
            }
            $this->serve(0.5);
        }
        throw new RuntimeException("no verified $event notify for $number");
    }
}

function until(string $what, callable $fetch, callable $done): array
{
    $deadline = microtime(true) + 15;
    while (true) {
        $current = $fetch();
        if ($done($current)) {
            return $current;
        }
        if (microtime(true) > $deadline) {
            throw new RuntimeException("$what: still {$current['state']}");
        }
        usleep(200000);
    }
}

try {
    checkVectors(getenv('QY_VECTORS') ?: __DIR__ . '/../../testdata/signing-vectors.json');
    echo "signing vectors: HMAC and RSA match\n";

    $product = getenv('QY_PRODUCT') ?: 'sandbox_qr';
    $key = Key::hmac((string) getenv('QY_APP_SECRET'));
    $rsaApp = (string) getenv('QY_RSA_APP_ID');
    $keys = [(string) getenv('QY_APP_ID') => $key];
    if ($rsaApp !== '') {
        $keys[$rsaApp] = Key::rsaPublic((string) file_get_contents((string) getenv('QY_PLATFORM_PUBLIC_KEY_FILE')));
    }
    $listener = new NotifyListener($keys);
    $client = new Client((string) getenv('QY_BASE_URL'), (string) getenv('QY_MCH_NO'), (string) getenv('QY_APP_ID'), $key);
    $run = 'PHP' . (int) (microtime(true) * 1000);

    $order = $client->createOrder([
        'mchOrderNo' => "$run-1",
        'productCode' => $product,
        'amount' => 1234,
        'subject' => 'PHP SDK 示例',
        'notifyUrl' => $listener->url(),
    ]);
    echo "created {$order['orderNo']} ({$order['state']}, {$order['amount']} fen)\n";
    check(isset($order['payData']['value']), 'a sandbox order has a pay URL');

    // The sandbox's pay page: what the payer's "pay" button posts.
    [$status] = Client::send('POST', $order['payData']['value'], ['Content-Type' => 'application/x-www-form-urlencoded'], 'result=success');
    check($status === 200, "the sandbox took the payment: $status");

    $paid = until('order paid', fn () => $client->getOrder($order['orderNo']), fn ($o) => $o['state'] === 'paid');
    check($client->getOrderByMchOrderNo($order['mchOrderNo'])['orderNo'] === $order['orderNo'], 'found by the merchant order number');
    echo "paid {$paid['orderNo']} at {$paid['paidAt']}\n";
    $listener->await('order.paid', 'orderNo', $order['orderNo']);
    echo "notify order.paid verified for {$order['orderNo']}\n";

    $refund = $client->createRefund([
        'orderNo' => $order['orderNo'],
        'mchRefundNo' => "$run-R1",
        'amount' => 500,
        'reason' => '示例退款',
        'notifyUrl' => $listener->url(),
    ]);
    $refund = until('refund settled', fn () => $client->getRefund($refund['refundNo']), fn ($r) => $r['state'] !== 'pending');
    check($refund['state'] === 'succeeded', "refund {$refund['state']}");
    echo "refunded {$refund['amount']} fen ({$refund['refundNo']}, {$refund['state']})\n";
    $listener->await('refund.succeeded', 'refundNo', $refund['refundNo']);
    echo "notify refund.succeeded verified for {$refund['refundNo']}\n";

    try {
        $client->closeOrder($order['orderNo']);
        throw new RuntimeException('closing a paid order was accepted');
    } catch (ApiException $e) {
        check($e->getErrorCode() === 'ORDER_STATE_INVALID', 'closing a paid order: ' . $e->getErrorCode());
        echo "closing the paid order is refused: {$e->getErrorCode()} ({$e->getStatus()})\n";
    }

    $other = $client->createOrder(['mchOrderNo' => "$run-2", 'productCode' => $product, 'amount' => 100, 'subject' => 'to close']);
    $closed = $client->closeOrder($other['orderNo']);
    check($closed['state'] === 'closed', "closed order is {$closed['state']}");
    echo "closed {$closed['orderNo']}\n";

    if ($rsaApp !== '') {
        $rsaKey = Key::rsaPrivate((string) file_get_contents((string) getenv('QY_RSA_PRIVATE_KEY_FILE')));
        $rsaClient = new Client((string) getenv('QY_BASE_URL'), (string) getenv('QY_MCH_NO'), $rsaApp, $rsaKey);
        $signed = $rsaClient->createOrder(['mchOrderNo' => "$run-3", 'productCode' => $product, 'amount' => 200, 'subject' => 'RSA', 'notifyUrl' => $listener->url()]);
        Client::send('POST', $signed['payData']['value'], ['Content-Type' => 'application/x-www-form-urlencoded'], 'result=success');
        $listener->await('order.paid', 'orderNo', $signed['orderNo']);
        echo "RSA: order {$signed['orderNo']} created with an RSA signature, its RSA-signed notify verified\n";
    }
    echo "php example: ok\n";
} catch (Throwable $e) {
    fwrite(STDERR, 'php example: FAILED: ' . $e->getMessage() . "\n");
    exit(1);
}
