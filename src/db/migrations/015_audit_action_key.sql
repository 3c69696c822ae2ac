-- The audit log says what happened in business words: each row keeps a stable action key
-- ('order.complete', 'merchant_product.update', …, translated by the consoles) next to the route it
-- came from (`action`, e.g. 'POST /api/admin/orders/:orderNo/complete', kept as a technical detail).
-- Rows written before this carry '' and are read through the same route → key table (src/audit/actions.ts);
-- the login rows already held their key in `action`.
ALTER TABLE audit_log ADD COLUMN action_key TEXT NOT NULL DEFAULT '';
UPDATE audit_log SET action_key = action WHERE action IN ('auth.login', 'auth.login_failed');
CREATE INDEX audit_log_action_key ON audit_log (action_key, created_at DESC);
