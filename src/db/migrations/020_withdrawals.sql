-- Withdrawals (MON-3, MP-4, OP-13): a merchant's settlement bank cards, the withdrawal rules
-- (platform defaults in platform_setting 'withdrawal.rules'; per-merchant overrides here), the
-- withdrawals with their timeline, and auto-withdrawal.

-- A settlement bank card. The full account number is sealed (services.secrets, bound to
-- bank_card/<id>/account_no_enc); only its first and last four digits are kept in the clear, for the
-- mask `6222 **** **** 1234`. A deleted card keeps its row (withdrawals point at it).
CREATE TABLE bank_card (
  id                  BIGSERIAL PRIMARY KEY,
  merchant_id         BIGINT NOT NULL REFERENCES merchant(id),
  holder_name         TEXT NOT NULL,
  account_no_enc      TEXT NOT NULL,
  account_first4      TEXT NOT NULL,
  account_last4       TEXT NOT NULL,
  bank_name           TEXT NOT NULL,
  bank_branch         TEXT NOT NULL DEFAULT '',
  card_type           TEXT NOT NULL CHECK (card_type IN ('personal', 'corporate')),
  state               TEXT NOT NULL CHECK (state IN ('active', 'pending_review', 'rejected')),
  is_default          BOOLEAN NOT NULL DEFAULT FALSE,
  review_reason       TEXT,
  reviewed_at         TIMESTAMPTZ,
  reviewed_by_user_id BIGINT,
  created_by_user_id  BIGINT,
  deleted_at          TIMESTAMPTZ,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX bank_card_merchant ON bank_card (merchant_id, id) WHERE deleted_at IS NULL;
CREATE INDEX bank_card_state ON bank_card (state, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX bank_card_one_default ON bank_card (merchant_id) WHERE is_default AND deleted_at IS NULL;

-- Per-merchant withdrawal rules: a NULL field is the platform default.
CREATE TABLE withdrawal_rule (
  merchant_id      BIGINT PRIMARY KEY REFERENCES merchant(id),
  min_amount       BIGINT CHECK (min_amount > 0),
  max_amount       BIGINT CHECK (max_amount > 0),
  fixed_fee        BIGINT CHECK (fixed_fee >= 0),
  fee_rate_ppm     INTEGER CHECK (fee_rate_ppm BETWEEN 0 AND 1000000),
  window_start     TEXT,
  window_end       TEXT,
  daily_count      INTEGER CHECK (daily_count >= 0),
  daily_amount     BIGINT CHECK (daily_amount >= 0),
  review_threshold BIGINT CHECK (review_threshold >= 0),
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE SEQUENCE withdrawal_no_seq;

-- `amount` leaves the merchant's balance (frozen at creation); amount − fee reaches the card.
CREATE TABLE withdrawal (
  id                  BIGSERIAL PRIMARY KEY,
  withdraw_no         TEXT NOT NULL UNIQUE,
  merchant_id         BIGINT NOT NULL REFERENCES merchant(id),
  mch_withdraw_no     TEXT NOT NULL,
  request_hash        TEXT NOT NULL,
  source              TEXT NOT NULL CHECK (source IN ('api', 'portal', 'auto')),
  app_id              TEXT,
  created_by_user_id  BIGINT,
  card_id             BIGINT NOT NULL REFERENCES bank_card(id),
  bank_name           TEXT NOT NULL,
  account_masked      TEXT NOT NULL,
  amount              BIGINT NOT NULL CHECK (amount > 0),
  fee                 BIGINT NOT NULL CHECK (fee >= 0 AND fee <= amount),
  currency            TEXT NOT NULL,
  state               TEXT NOT NULL CHECK (state IN ('reviewing', 'approved', 'submitted', 'succeeded', 'failed', 'rejected')),
  reason              TEXT,
  notify_url          TEXT NOT NULL DEFAULT '',
  payout_no           TEXT,
  -- The business day (config.timeZone) it counts toward for the daily limits.
  local_day           DATE NOT NULL,
  reviewed_by_user_id BIGINT,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  reviewed_at         TIMESTAMPTZ,
  submitted_at        TIMESTAMPTZ,
  paid_at             TIMESTAMPTZ,
  failed_at           TIMESTAMPTZ,
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (merchant_id, mch_withdraw_no)
);
CREATE INDEX withdrawal_merchant_day ON withdrawal (merchant_id, local_day);
CREATE INDEX withdrawal_merchant_id ON withdrawal (merchant_id, id DESC);
CREATE INDEX withdrawal_state ON withdrawal (state, id DESC);

-- The merchant's timeline: one row per state a withdrawal reached.
CREATE TABLE withdrawal_event (
  id            BIGSERIAL PRIMARY KEY,
  withdrawal_id BIGINT NOT NULL REFERENCES withdrawal(id),
  state         TEXT NOT NULL,
  reason        TEXT,
  actor         TEXT NOT NULL,
  at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX withdrawal_event_withdrawal ON withdrawal_event (withdrawal_id, id);

-- Auto-withdrawal: once a day after `at_time` (local), available − keep_balance goes to the default card.
CREATE TABLE auto_withdrawal (
  merchant_id  BIGINT PRIMARY KEY REFERENCES merchant(id),
  enabled      BOOLEAN NOT NULL DEFAULT FALSE,
  at_time      TEXT NOT NULL DEFAULT '10:00',
  keep_balance BIGINT NOT NULL DEFAULT 0 CHECK (keep_balance >= 0),
  last_run_day DATE,
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
