<?php

declare(strict_types=1);

namespace Qingyun\Pay;

/** A signing or verifying key: the app secret (HMAC), an RSA private key, or an RSA public key (PEM). */
final class Key
{
    /** @var string HMAC-SHA256 or RSA-SHA256 */
    public $type;
    /** @var string the secret or the PEM */
    public $material;

    private function __construct(string $type, string $material)
    {
        $this->type = $type;
        $this->material = $material;
    }

    /** The app secret: signs requests and verifies HMAC notifies. */
    public static function hmac(string $secret): self
    {
        return new self(Signing::HMAC_SHA256, $secret);
    }

    /** Your RSA private key (PEM): signs requests. */
    public static function rsaPrivate(string $pem): self
    {
        return new self(Signing::RSA_SHA256, $pem);
    }

    /** The platform's RSA public key of your app (PEM): verifies RSA notifies. */
    public static function rsaPublic(string $pem): self
    {
        return new self(Signing::RSA_SHA256, $pem);
    }

    public function __debugInfo(): array
    {
        return ['type' => $this->type, 'material' => '(hidden)'];
    }
}
