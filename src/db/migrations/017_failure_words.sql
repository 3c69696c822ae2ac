-- Stable words for failures, which the consoles translate; the raw text beside them stays for the
-- technical details. NULL on rows written before: the reader derives the word from the code.
-- pay_order.failure_reason: why the order failed (declined, refused, timeout, …; src/errors.ts
-- ORDER_FAILURE_REASONS). A declined pay code is known only when it happens, so it is stored.
ALTER TABLE pay_order ADD COLUMN failure_reason TEXT;
-- notify_attempt.error_kind / notify_task.last_error_kind: which step of a merchant notify failed
-- (dns, refused, timeout, tls, http_status, …; src/errors.ts DELIVERY_FAILURE_KINDS).
ALTER TABLE notify_attempt ADD COLUMN error_kind TEXT;
ALTER TABLE notify_task ADD COLUMN last_error_kind TEXT;
