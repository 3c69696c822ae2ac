-- Which request signatures an app accepts (DESIGN §6): both sign types, or only one of them. An app
-- whose merchant signs with RSA can refuse HMAC, so a leaked shared secret signs nothing.
-- Existing apps keep accepting both.
ALTER TABLE merchant_app
  ADD COLUMN accepted_sign_type TEXT NOT NULL DEFAULT 'both'
    CHECK (accepted_sign_type IN ('both', 'HMAC-SHA256', 'RSA-SHA256'));
