<?php

declare(strict_types=1);

namespace Qingyun\Pay;

/** A refusal: getErrorCode() is the platform's stable code (SIGNATURE_INVALID, ORDER_STATE_INVALID …). */
final class ApiException extends \RuntimeException
{
    /** @var int */
    private $status;
    /** @var string */
    private $errorCode;
    /** @var string|null */
    private $requestId;
    /** @var array<string, mixed>|null */
    private $details;

    /** @param array<string, mixed>|null $details */
    public function __construct(int $status, string $errorCode, string $message, ?string $requestId = null, ?array $details = null)
    {
        parent::__construct($errorCode . ': ' . $message, $status);
        $this->status = $status;
        $this->errorCode = $errorCode;
        $this->requestId = $requestId;
        $this->details = $details;
    }

    public function getStatus(): int
    {
        return $this->status;
    }

    public function getErrorCode(): string
    {
        return $this->errorCode;
    }

    public function getRequestId(): ?string
    {
        return $this->requestId;
    }

    /** @return array<string, mixed>|null */
    public function getDetails(): ?array
    {
        return $this->details;
    }
}
