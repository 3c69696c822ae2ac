-- Money out: payout orders (代付) for withdrawals and for third-party payouts.
--
-- A channel account pays out only when an operator switches it on (and its adapter can).
ALTER TABLE channel_account ADD COLUMN payout_enabled BOOLEAN NOT NULL DEFAULT FALSE;

CREATE SEQUENCE payout_no_seq;

-- One row per payout. payout_no is our number and the channel's idempotency key: it never changes,
-- so a resend after a lost answer can never pay the payee twice. The payee's account number is
-- sealed (services.secrets, bound to this row and column); the last four digits are kept for masks.
CREATE TABLE payout_order (
  id                   BIGSERIAL PRIMARY KEY,
  payout_no            TEXT NOT NULL UNIQUE,
  kind                 TEXT NOT NULL CHECK (kind IN ('withdrawal', 'payout')),
  merchant_id          BIGINT NOT NULL REFERENCES merchant(id),
  -- kind 'payout': the API app that asked, its number and the request's hash (idempotency).
  app_id               TEXT,
  mch_payout_no        TEXT,
  request_hash         TEXT,
  -- kind 'withdrawal': the withdrawal it pays.
  withdrawal_id        BIGINT UNIQUE,
  withdraw_no          TEXT,
  -- amount: paid to the payee; fee: the platform's; debit: what was frozen (amount + fee for a
  -- payout; the withdrawal's amount for a withdrawal, whose fee comes out of it).
  amount               BIGINT NOT NULL CHECK (amount > 0),
  fee                  BIGINT NOT NULL CHECK (fee >= 0),
  debit                BIGINT NOT NULL CHECK (debit = amount + fee),
  currency             TEXT NOT NULL,
  payee_name           TEXT NOT NULL,
  payee_account_no_enc TEXT NOT NULL,
  payee_account_tail   TEXT NOT NULL,
  payee_bank_name      TEXT NOT NULL,
  payee_bank_branch    TEXT,
  payee_type           TEXT NOT NULL CHECK (payee_type IN ('personal', 'corporate')),
  remark               TEXT,
  notify_url           TEXT,
  test                 BOOLEAN NOT NULL DEFAULT FALSE,
  state                TEXT NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'submitted', 'succeeded', 'failed')),
  channel_account_id   BIGINT REFERENCES channel_account(id),
  channel_payout_no    TEXT,
  -- What the channel last said: submitted / succeeded / failed / not_found / unknown.
  channel_state        TEXT,
  failure_code         TEXT,
  reason               TEXT,
  created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  submitted_at         TIMESTAMPTZ,
  paid_at              TIMESTAMPTZ,
  failed_at            TIMESTAMPTZ,
  last_query_at        TIMESTAMPTZ,
  updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (merchant_id, mch_payout_no)
);
CREATE INDEX payout_order_merchant ON payout_order (merchant_id, created_at DESC);
CREATE INDEX payout_order_open ON payout_order (updated_at) WHERE state IN ('pending', 'submitted');

-- Everything that happened to a payout: routing, channel calls and their answers, queries,
-- notifies, operator actions, state changes.
CREATE TABLE payout_attempt (
  id                 BIGSERIAL PRIMARY KEY,
  payout_id          BIGINT NOT NULL REFERENCES payout_order(id),
  action             TEXT NOT NULL,
  outcome            TEXT NOT NULL,
  channel_account_id BIGINT,
  code               TEXT,
  message            TEXT,
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payout_attempt_payout ON payout_attempt (payout_id, id);

-- Per-merchant overrides of the platform's payout rules (platform_setting 'payout.rules'); NULL = the default.
CREATE TABLE merchant_payout_rule (
  merchant_id   BIGINT PRIMARY KEY REFERENCES merchant(id),
  fee_rate_ppm  INTEGER CHECK (fee_rate_ppm BETWEEN 0 AND 1000000),
  fixed_fee     BIGINT CHECK (fixed_fee >= 0),
  min_amount    BIGINT CHECK (min_amount > 0),
  max_amount    BIGINT CHECK (max_amount > 0),
  daily_count   INTEGER CHECK (daily_count >= 0),
  daily_amount  BIGINT CHECK (daily_amount >= 0),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Third-party payouts a merchant asked for per day (platform time zone). The row is the lock that
-- makes the daily limits hold under parallel requests: each request adds itself and checks the sum.
CREATE TABLE payout_daily_usage (
  merchant_id BIGINT NOT NULL REFERENCES merchant(id),
  day         DATE NOT NULL,
  count       INTEGER NOT NULL DEFAULT 0,
  amount      BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (merchant_id, day)
);

-- The in-process sandbox's payouts (it is another party: only channels/sandbox/queries.ts touches
-- this). Idempotent on (mch_id, out_payout_no); `version` makes every change a compare-and-set.
CREATE TABLE sandbox_payout (
  payout_no     TEXT PRIMARY KEY,
  mch_id        TEXT NOT NULL,
  out_payout_no TEXT NOT NULL,
  version       INT NOT NULL DEFAULT 0,
  record        JSONB NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (mch_id, out_payout_no)
);
