-- Refunds (PAY-4, MON-4): a refund row per merchant request, the refundable amount reserved on the
-- order in the transaction that creates it, and the product's fee treatment.

-- What is reserved or refunded of the order (pending and succeeded refunds). A refund is accepted
-- only by a guarded UPDATE that keeps refunded_amount <= amount, so concurrent refunds cannot
-- together exceed the paid amount; a failed refund gives its share back.
ALTER TABLE pay_order ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pay_order ADD COLUMN refunded_fee BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pay_order ADD COLUMN refunded_channel_cost BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pay_order ADD CONSTRAINT pay_order_refunded_amount_check
  CHECK (refunded_amount >= 0 AND refunded_amount <= amount);
ALTER TABLE pay_order ADD CONSTRAINT pay_order_refunded_fee_check
  CHECK (refunded_fee >= 0 AND refunded_fee <= fee AND refunded_channel_cost >= 0 AND refunded_channel_cost <= channel_cost);

-- proportional: the merchant gets the fee back in proportion to the refund; kept: the platform keeps it.
ALTER TABLE product ADD COLUMN fee_refund_mode TEXT NOT NULL DEFAULT 'proportional'
  CHECK (fee_refund_mode IN ('proportional', 'kept'));

CREATE SEQUENCE refund_no_seq;

CREATE TABLE refund_order (
  id                 BIGSERIAL PRIMARY KEY,
  refund_no          TEXT NOT NULL UNIQUE,
  app_id             TEXT NOT NULL,
  mch_refund_no      TEXT NOT NULL,
  request_hash       TEXT NOT NULL,       -- sha256 of the create body, for idempotent retries
  order_id           BIGINT NOT NULL REFERENCES pay_order(id),
  order_no           TEXT NOT NULL,       -- the order's numbers, copied (they never change)
  mch_order_no       TEXT NOT NULL,
  merchant_id        BIGINT NOT NULL REFERENCES merchant(id),
  channel_account_id BIGINT NOT NULL REFERENCES channel_account(id),
  amount             BIGINT NOT NULL CHECK (amount > 0),
  fee_refund         BIGINT NOT NULL DEFAULT 0 CHECK (fee_refund >= 0),   -- merchant fee given back
  channel_cost_refund BIGINT NOT NULL DEFAULT 0 CHECK (channel_cost_refund >= 0),
  -- Where the merchant's debit (amount - fee_refund) came from; a failed refund puts it back there.
  debited_pending    BIGINT NOT NULL DEFAULT 0 CHECK (debited_pending >= 0),
  debited_available  BIGINT NOT NULL DEFAULT 0 CHECK (debited_available >= 0),
  currency           TEXT NOT NULL,
  reason             TEXT,
  notify_url         TEXT NOT NULL DEFAULT '',
  state              TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
  channel_refund_no  TEXT,
  failure_code       TEXT,
  failure_message    TEXT,
  succeeded_at       TIMESTAMPTZ,
  failed_at          TIMESTAMPTZ,
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (app_id, mch_refund_no),
  CHECK (debited_pending + debited_available = amount - fee_refund)
);
CREATE INDEX refund_order_order ON refund_order (order_id, id);
CREATE INDEX refund_order_merchant_created ON refund_order (merchant_id, created_at DESC);
CREATE INDEX refund_order_pending ON refund_order (created_at) WHERE state = 'pending';
