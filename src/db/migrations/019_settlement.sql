-- Settlement (MON-1, MON-2): what each paid order's settlement mode was, when it settled, the
-- calendar the cycles count business days on, settlement records, risk reserve and end-of-day balances.

-- The merchant's mode when the order was paid (NULL: paid before settlement existed = platform).
ALTER TABLE pay_order ADD COLUMN settle_mode TEXT CHECK (settle_mode IN ('platform', 'direct'));
-- When the order's whole net left pending (platform) or was recorded as paid by the channel (direct).
ALTER TABLE pay_order ADD COLUMN settled_at TIMESTAMPTZ;
-- D0: the part of the net settled on the paid day; the rest settles D1.
ALTER TABLE pay_order ADD COLUMN d0_settled_amount BIGINT CHECK (d0_settled_amount >= 0);
CREATE INDEX pay_order_unsettled ON pay_order (merchant_id, paid_at)
  WHERE settled_at IS NULL AND state IN ('paid', 'partially_refunded', 'refunded');

-- Direct-mode refunds debit what the channel owes the merchant, not a balance we hold.
ALTER TABLE refund_order ADD COLUMN direct BOOLEAN NOT NULL DEFAULT FALSE;
-- The part of debited_pending that did not come out of the order's own unsettled net (the order had
-- settled, or a kept fee made the debit larger than what was left of it): a debt on the merchant's
-- pending, absorbed by its next settlement (settlement_pending_debt).
ALTER TABLE refund_order ADD COLUMN pending_borrowed BIGINT NOT NULL DEFAULT 0 CHECK (pending_borrowed >= 0);
ALTER TABLE refund_order DROP CONSTRAINT IF EXISTS refund_order_check;
ALTER TABLE refund_order ADD CONSTRAINT refund_order_debit_check CHECK (
  CASE WHEN direct THEN debited_pending = 0 AND debited_available = 0 AND pending_borrowed = 0
       ELSE debited_pending + debited_available = amount - fee_refund AND pending_borrowed <= debited_pending END);

-- What refunds took from a merchant's pending balance beyond the unsettled orders' nets; the next
-- settlements move that much less from pending to available. merchant_pending = Σ unsettled nets − amount.
CREATE TABLE settlement_pending_debt (
  merchant_id BIGINT NOT NULL REFERENCES merchant(id),
  currency    TEXT NOT NULL,
  amount      BIGINT NOT NULL DEFAULT 0 CHECK (amount >= 0),
  PRIMARY KEY (merchant_id, currency)
);

-- Holidays and make-up working days (调休), edited by operators. A business day is a weekday that is
-- not a holiday, or a make-up working day.
CREATE TABLE settlement_calendar (
  day        DATE PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
  name       TEXT NOT NULL DEFAULT '',
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per merchant, currency and kind per settlement run (the consoles sum them per day).
-- kind: settlement (platform), test (test orders while test money is not settled), direct (the
-- channel paid the merchant), reserve_release.
CREATE TABLE settlement_record (
  id               BIGSERIAL PRIMARY KEY,
  merchant_id      BIGINT NOT NULL REFERENCES merchant(id),
  currency         TEXT NOT NULL,
  day              DATE NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('settlement', 'test', 'direct', 'reserve_release')),
  order_count      INTEGER NOT NULL DEFAULT 0,
  gross            BIGINT NOT NULL DEFAULT 0,
  fee              BIGINT NOT NULL DEFAULT 0,
  refunds          BIGINT NOT NULL DEFAULT 0,
  net              BIGINT NOT NULL DEFAULT 0,
  reserve          BIGINT NOT NULL DEFAULT 0,
  reserve_released BIGINT NOT NULL DEFAULT 0,
  txn_key          TEXT,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX settlement_record_merchant_day ON settlement_record (merchant_id, day);
CREATE INDEX settlement_record_day ON settlement_record (day);

-- Risk reserve (风险预留) held by a settlement, released to available on release_on.
CREATE TABLE settlement_reserve (
  id          BIGSERIAL PRIMARY KEY,
  merchant_id BIGINT NOT NULL REFERENCES merchant(id),
  currency    TEXT NOT NULL,
  amount      BIGINT NOT NULL CHECK (amount > 0),
  held_on     DATE NOT NULL,
  release_on  DATE NOT NULL,
  released_at TIMESTAMPTZ
);
CREATE INDEX settlement_reserve_due ON settlement_reserve (release_on) WHERE released_at IS NULL;

-- End-of-day balance of every ledger account (config.timeZone days), filled by the daily-balances job.
CREATE TABLE ledger_daily_balance (
  account_id BIGINT NOT NULL REFERENCES ledger_account(id),
  day        DATE NOT NULL,
  balance    BIGINT NOT NULL,
  PRIMARY KEY (account_id, day)
);
CREATE INDEX ledger_daily_balance_day ON ledger_daily_balance (day);
CREATE INDEX ledger_entry_created ON ledger_entry (created_at);
