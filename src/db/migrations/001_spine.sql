-- Platform spine: configuration, orders, ledger, outbox.
-- Stays within PostgreSQL 15 so one schema serves PGlite (embedded) and the production server.
-- Money columns are BIGINT minor units; rates are INTEGER parts-per-million.

-- ---------- auth ----------
CREATE TABLE operator (
  id            BIGSERIAL PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  display_name  TEXT NOT NULL DEFAULT '',
  enabled       BOOLEAN NOT NULL DEFAULT TRUE,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE operator_session (
  id          TEXT PRIMARY KEY,          -- sha256 of the cookie token; the token itself is never stored
  operator_id BIGINT NOT NULL REFERENCES operator(id),
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at  TIMESTAMPTZ NOT NULL,
  ip          TEXT NOT NULL DEFAULT ''
);

-- Nonces of signed merchant requests, kept for the replay window so the check holds across nodes.
CREATE TABLE api_nonce (
  app_id     TEXT NOT NULL,
  nonce      TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (app_id, nonce)
);
CREATE INDEX api_nonce_expires ON api_nonce (expires_at);

-- ---------- merchants ----------
CREATE TABLE merchant (
  id         BIGSERIAL PRIMARY KEY,
  mch_no     TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  short_name TEXT NOT NULL DEFAULT '',
  contact    TEXT NOT NULL DEFAULT '',
  state      TEXT NOT NULL DEFAULT 'enabled' CHECK (state IN ('enabled', 'disabled')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE merchant_app (
  id                    BIGSERIAL PRIMARY KEY,
  app_id                TEXT NOT NULL UNIQUE,
  merchant_id           BIGINT NOT NULL REFERENCES merchant(id),
  name                  TEXT NOT NULL,
  state                 TEXT NOT NULL DEFAULT 'enabled' CHECK (state IN ('enabled', 'disabled')),
  secret_enc            TEXT NOT NULL,           -- HMAC secret, AES-256-GCM under the master key
  merchant_public_key   TEXT,                    -- PEM, for RSA-SHA256 requests
  platform_public_key   TEXT NOT NULL,           -- PEM, given to the merchant to verify RSA notifies
  platform_private_key_enc TEXT NOT NULL,        -- PEM, encrypted
  notify_sign_type      TEXT NOT NULL DEFAULT 'HMAC-SHA256' CHECK (notify_sign_type IN ('HMAC-SHA256', 'RSA-SHA256')),
  notify_url            TEXT NOT NULL DEFAULT '',
  ip_allowlist          TEXT[] NOT NULL DEFAULT '{}',
  created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX merchant_app_merchant ON merchant_app (merchant_id);

-- ---------- catalog ----------
CREATE TABLE product (
  id               BIGSERIAL PRIMARY KEY,
  code             TEXT NOT NULL UNIQUE,
  name             TEXT NOT NULL,
  currency         TEXT NOT NULL DEFAULT 'CNY',
  min_amount       BIGINT NOT NULL CHECK (min_amount > 0),
  max_amount       BIGINT NOT NULL CHECK (max_amount >= min_amount),
  default_rate_ppm INTEGER NOT NULL CHECK (default_rate_ppm BETWEEN 0 AND 1000000),
  enabled          BOOLEAN NOT NULL DEFAULT TRUE,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The merchant's rate for a product; a merchant can only order products it has a rate for.
CREATE TABLE merchant_product (
  merchant_id BIGINT NOT NULL REFERENCES merchant(id),
  product_id  BIGINT NOT NULL REFERENCES product(id),
  rate_ppm    INTEGER NOT NULL CHECK (rate_ppm BETWEEN 0 AND 1000000),
  enabled     BOOLEAN NOT NULL DEFAULT TRUE,
  PRIMARY KEY (merchant_id, product_id)
);

CREATE TABLE channel (
  id           BIGSERIAL PRIMARY KEY,
  code         TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  adapter_code TEXT NOT NULL,
  enabled      BOOLEAN NOT NULL DEFAULT TRUE,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE channel_account (
  id              BIGSERIAL PRIMARY KEY,
  channel_id      BIGINT NOT NULL REFERENCES channel(id),
  name            TEXT NOT NULL,
  credentials_enc TEXT NOT NULL,                -- adapter credentials (JSON), encrypted
  config          JSONB NOT NULL DEFAULT '{}',  -- adapter settings that are not secret
  enabled         BOOLEAN NOT NULL DEFAULT TRUE,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE channel_account_rate (
  channel_account_id BIGINT NOT NULL REFERENCES channel_account(id),
  product_id         BIGINT NOT NULL REFERENCES product(id),
  cost_rate_ppm      INTEGER NOT NULL CHECK (cost_rate_ppm BETWEEN 0 AND 1000000),
  PRIMARY KEY (channel_account_id, product_id)
);

-- Product -> channel account bindings: the routing table operators live in.
CREATE TABLE product_binding (
  id                 BIGSERIAL PRIMARY KEY,
  product_id         BIGINT NOT NULL REFERENCES product(id),
  channel_account_id BIGINT NOT NULL REFERENCES channel_account(id),
  weight             INTEGER NOT NULL DEFAULT 100 CHECK (weight >= 0),
  priority           INTEGER NOT NULL DEFAULT 0,
  min_amount         BIGINT,
  max_amount         BIGINT,
  daily_limit        BIGINT,
  window_start       TEXT,   -- 'HH:MM' local time, inclusive
  window_end         TEXT,   -- 'HH:MM' local time, exclusive; may wrap past midnight
  enabled            BOOLEAN NOT NULL DEFAULT TRUE,
  UNIQUE (product_id, channel_account_id)
);

-- ---------- orders ----------
CREATE SEQUENCE order_no_seq;

CREATE TABLE pay_order (
  id                    BIGSERIAL PRIMARY KEY,
  order_no              TEXT NOT NULL UNIQUE,
  merchant_id           BIGINT NOT NULL REFERENCES merchant(id),
  app_id                TEXT NOT NULL,
  mch_order_no          TEXT NOT NULL,
  request_hash          TEXT NOT NULL,     -- sha256 of the create body, for idempotent retries
  product_id            BIGINT NOT NULL REFERENCES product(id),
  product_code          TEXT NOT NULL,
  channel_account_id    BIGINT REFERENCES channel_account(id),
  adapter_code          TEXT,
  amount                BIGINT NOT NULL CHECK (amount > 0),
  currency              TEXT NOT NULL,
  subject               TEXT NOT NULL,
  body                  TEXT,
  state                 TEXT NOT NULL CHECK (state IN ('created', 'paying', 'paid', 'failed', 'closed', 'partially_refunded', 'refunded')),
  merchant_rate_ppm     INTEGER NOT NULL,
  channel_rate_ppm      INTEGER,
  fee                   BIGINT NOT NULL DEFAULT 0,
  channel_cost          BIGINT NOT NULL DEFAULT 0,
  platform_profit       BIGINT NOT NULL DEFAULT 0,
  notify_url            TEXT NOT NULL DEFAULT '',
  return_url            TEXT,
  client_ip             TEXT,
  extra                 JSONB,
  pay_data_type         TEXT,
  pay_data_value        TEXT,
  channel_order_no      TEXT,
  failure_code          TEXT,
  failure_message       TEXT,
  expires_at            TIMESTAMPTZ NOT NULL,
  paid_at               TIMESTAMPTZ,
  closed_at             TIMESTAMPTZ,
  next_query_at         TIMESTAMPTZ,
  query_count           INTEGER NOT NULL DEFAULT 0,
  created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (app_id, mch_order_no),
  CHECK (fee = channel_cost + platform_profit)
);
CREATE INDEX pay_order_merchant_created ON pay_order (merchant_id, created_at DESC);
CREATE INDEX pay_order_open_expiry ON pay_order (expires_at) WHERE state IN ('created', 'paying');
CREATE INDEX pay_order_next_query ON pay_order (next_query_at) WHERE state = 'paying';
CREATE INDEX pay_order_channel_paid ON pay_order (channel_account_id, paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX pay_order_channel_order_no ON pay_order (channel_order_no);

CREATE TABLE order_event (
  id         BIGSERIAL PRIMARY KEY,
  order_id   BIGINT NOT NULL REFERENCES pay_order(id),
  kind       TEXT NOT NULL,
  detail     JSONB NOT NULL DEFAULT '{}',
  alert      BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_event_order ON order_event (order_id, id);
CREATE INDEX order_event_alert ON order_event (created_at) WHERE alert;

-- Every inbound channel notify, verified or not, with its raw body.
CREATE TABLE channel_notify (
  id                 BIGSERIAL PRIMARY KEY,
  channel_account_id BIGINT,
  order_id           BIGINT,
  raw_body           TEXT NOT NULL,
  headers            JSONB NOT NULL DEFAULT '{}',
  remote_ip          TEXT,
  outcome            TEXT NOT NULL,   -- applied | duplicate | refused
  error_code         TEXT,
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX channel_notify_order ON channel_notify (order_id);

-- ---------- ledger ----------
CREATE TABLE ledger_account (
  id         BIGSERIAL PRIMARY KEY,
  code       TEXT NOT NULL UNIQUE,      -- e.g. merchant:12:pending:CNY, platform:revenue:CNY
  kind       TEXT NOT NULL,
  owner_id   BIGINT,
  currency   TEXT NOT NULL,
  -- Guarded accounts keep a stored balance, updated with their entries and never negative.
  -- Hot system accounts are not guarded: their balance is the sum of their entries.
  guarded    BOOLEAN NOT NULL,
  balance    BIGINT NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (NOT guarded OR balance >= 0),
  CHECK (guarded OR balance = 0)
);

CREATE TABLE ledger_txn (
  id              BIGSERIAL PRIMARY KEY,
  kind            TEXT NOT NULL,
  reference       TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entry (
  id         BIGSERIAL PRIMARY KEY,
  txn_id     BIGINT NOT NULL REFERENCES ledger_txn(id),
  account_id BIGINT NOT NULL REFERENCES ledger_account(id),
  amount     BIGINT NOT NULL CHECK (amount <> 0),
  currency   TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entry_txn ON ledger_entry (txn_id);
CREATE INDEX ledger_entry_account ON ledger_entry (account_id, id);

-- ---------- merchant notify outbox ----------
CREATE TABLE notify_task (
  id              BIGSERIAL PRIMARY KEY,
  merchant_id     BIGINT NOT NULL,
  app_id          TEXT NOT NULL,
  order_id        BIGINT,
  event_type      TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  url             TEXT NOT NULL,
  payload         TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_error      TEXT,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notify_task_due ON notify_task (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notify_task_order ON notify_task (order_id);

CREATE TABLE notify_attempt (
  id            BIGSERIAL PRIMARY KEY,
  task_id       BIGINT NOT NULL REFERENCES notify_task(id),
  attempt       INTEGER NOT NULL,
  http_status   INTEGER,
  response_body TEXT,
  error         TEXT,
  duration_ms   INTEGER NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notify_attempt_task ON notify_attempt (task_id, id);

-- ---------- jobs ----------
-- One row per scheduled job: a worker runs a job only after claiming its row, so one node at a time runs it.
CREATE TABLE job_lease (
  name         TEXT PRIMARY KEY,
  leased_until TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
  holder       TEXT NOT NULL DEFAULT '',
  last_run_at  TIMESTAMPTZ
);
