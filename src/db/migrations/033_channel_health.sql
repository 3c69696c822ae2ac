-- Channel health (OP-5, PAY-3): circuit breakers per channel account, shared by every node.

-- A channel (provider) can be described by operators, and edited like its accounts.
ALTER TABLE channel ADD COLUMN remarks TEXT NOT NULL DEFAULT '';
ALTER TABLE channel ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now();

-- Calls to open a payment (create) per minute and channel account, flushed from each node's
-- memory every second or so: the create success rates and the latency of the channel's answers.
CREATE TABLE channel_call_minute (
  minute             TIMESTAMPTZ NOT NULL,
  channel_account_id BIGINT NOT NULL REFERENCES channel_account(id),
  call_count         BIGINT NOT NULL DEFAULT 0,
  failure_count      BIGINT NOT NULL DEFAULT 0,
  latency_ms_sum     BIGINT NOT NULL DEFAULT 0,
  latency_ms_max     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (minute, channel_account_id)
);

-- The breaker's thresholds per channel account; an account without a row has the defaults
-- (health/breaker.ts DEFAULT_BREAKER_SETTINGS).
CREATE TABLE channel_breaker_setting (
  channel_account_id     BIGINT PRIMARY KEY REFERENCES channel_account(id),
  failure_threshold      INTEGER NOT NULL CHECK (failure_threshold BETWEEN 1 AND 1000),
  open_below_percent     INTEGER NOT NULL CHECK (open_below_percent BETWEEN 0 AND 100),
  min_volume             INTEGER NOT NULL CHECK (min_volume BETWEEN 1 AND 100000),
  window_minutes         INTEGER NOT NULL CHECK (window_minutes IN (5, 15, 60)),
  open_seconds           INTEGER NOT NULL CHECK (open_seconds BETWEEN 5 AND 86400),
  half_open_probes       INTEGER NOT NULL CHECK (half_open_probes BETWEEN 1 AND 100),
  degraded_below_percent INTEGER NOT NULL CHECK (degraded_below_percent BETWEEN 0 AND 100),
  degraded_weight_percent INTEGER NOT NULL CHECK (degraded_weight_percent BETWEEN 1 AND 100),
  updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Each account's circuit: closed (routed), open (skipped), half_open (probes only). A row is made
-- the first time the account's calls are flushed; no row is a closed circuit.
CREATE TABLE channel_circuit (
  channel_account_id   BIGINT PRIMARY KEY REFERENCES channel_account(id),
  state                TEXT NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open')),
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  -- Creates since the circuit last closed: the success rate may open it again only after enough.
  calls_since_closed   BIGINT NOT NULL DEFAULT 0,
  opened_at            TIMESTAMPTZ,
  probes_taken         INTEGER NOT NULL DEFAULT 0,
  changed_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every change of a circuit, for the consoles and the alerts.
CREATE TABLE channel_circuit_transition (
  id                 BIGSERIAL PRIMARY KEY,
  channel_account_id BIGINT NOT NULL REFERENCES channel_account(id),
  from_state         TEXT NOT NULL,
  to_state           TEXT NOT NULL,
  reason             TEXT NOT NULL,
  detail             JSONB NOT NULL DEFAULT '{}',
  at                 TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX channel_circuit_transition_at ON channel_circuit_transition (at);
CREATE INDEX channel_circuit_transition_account ON channel_circuit_transition (channel_account_id, id);

-- A merchant's own bindings for a product (seed 000: the channels a merchant's product runs on):
-- when a merchant has any for a product, routing uses them instead of the product's.
CREATE TABLE merchant_product_binding (
  id                 BIGSERIAL PRIMARY KEY,
  merchant_id        BIGINT NOT NULL REFERENCES merchant(id),
  product_id         BIGINT NOT NULL REFERENCES product(id),
  channel_account_id BIGINT NOT NULL REFERENCES channel_account(id),
  weight             INTEGER NOT NULL DEFAULT 100 CHECK (weight >= 0),
  priority           INTEGER NOT NULL DEFAULT 0,
  min_amount         BIGINT,
  max_amount         BIGINT,
  daily_limit        BIGINT,
  window_start       TEXT,
  window_end         TEXT,
  enabled            BOOLEAN NOT NULL DEFAULT TRUE,
  test_account_allowed BOOLEAN NOT NULL DEFAULT FALSE,
  allowed_at_loss    BOOLEAN NOT NULL DEFAULT FALSE,
  UNIQUE (merchant_id, product_id, channel_account_id)
);
