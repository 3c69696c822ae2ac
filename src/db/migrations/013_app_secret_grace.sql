-- Rotating an app's HMAC secret keeps the one it replaces valid for a grace period the operator or
-- store manager picks (none after a leak), so a merchant can roll its servers over without failed
-- requests. The previous secret is sealed like the current one (AES-256-GCM, bound to this row and
-- column) and accepted for request signatures until previous_secret_expires_at, never after;
-- notifies are always signed with the current secret. Both columns are NULL or set together.
ALTER TABLE merchant_app
  ADD COLUMN previous_secret_enc TEXT,
  ADD COLUMN previous_secret_expires_at TIMESTAMPTZ,
  ADD CONSTRAINT merchant_app_previous_secret_pair
    CHECK ((previous_secret_enc IS NULL) = (previous_secret_expires_at IS NULL));
