-- Console refunds: operators with `order.refund` and merchant managers refund from the consoles.

-- The built-in roles that handle money get the new permission (custom roles are left to their owners).
UPDATE console_role SET permissions = array_append(permissions, 'order.refund')
  WHERE code IN ('operations', 'finance') AND NOT 'order.refund' = ANY(permissions);

-- Where a refund came from: the signed merchant API, or a console (operator or merchant user, who
-- is recorded). A column rather than the mchRefundNo prefix: an API caller may use any prefix.
ALTER TABLE refund_order ADD COLUMN source TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'console'));
ALTER TABLE refund_order ADD COLUMN created_by_user_id BIGINT REFERENCES console_user(id);

-- The consoles' refund list: newest first across merchants, and q by any of the refund's numbers.
CREATE INDEX refund_order_created ON refund_order (created_at DESC, id DESC);
CREATE INDEX refund_order_mch_refund_no ON refund_order (mch_refund_no);
CREATE INDEX refund_order_order_no ON refund_order (order_no);
CREATE INDEX refund_order_mch_order_no ON refund_order (mch_order_no);
