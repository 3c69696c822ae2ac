-- Operations alerts (alerts/): what the detectors saw, its state and history, and where it is sent.

-- One row per condition an operator must look at. At most one unresolved row per kind and subject:
-- a repeat observation bumps `seen_count` and `last_seen_at` instead of adding a row.
CREATE TABLE alert (
  id                BIGSERIAL PRIMARY KEY,
  kind              TEXT NOT NULL,
  severity          TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  -- What the alert is about: a channel account, a merchant, an order, a reconciliation batch.
  subject_type      TEXT NOT NULL CHECK (subject_type IN ('channel_account', 'merchant', 'order', 'recon_batch')),
  subject_id        TEXT NOT NULL,
  -- The subject as people know it (an account's name, a merchant or order number), for lists and search.
  subject_label     TEXT NOT NULL,
  -- The figures the detector saw last (rate, counts, thresholds), shown in the console and the messages.
  detail            JSONB NOT NULL DEFAULT '{}',
  state             TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
  seen_count        INTEGER NOT NULL DEFAULT 1,
  first_seen_at     TIMESTAMPTZ NOT NULL,
  last_seen_at      TIMESTAMPTZ NOT NULL,
  -- When its recipients were last told (rate limit: at most once per alerts.notifyIntervalMinutes).
  last_notified_at  TIMESTAMPTZ,
  acknowledged_by   BIGINT REFERENCES console_user(id),
  acknowledged_at   TIMESTAMPTZ,
  acknowledge_note  TEXT,
  resolved_by       BIGINT REFERENCES console_user(id),
  resolved_at       TIMESTAMPTZ,
  resolve_note      TEXT,
  -- Resolved by the detector no longer seeing the condition, not by a person.
  auto_resolved     BOOLEAN NOT NULL DEFAULT FALSE,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((state = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX alert_unresolved_subject ON alert (kind, subject_type, subject_id) WHERE state <> 'resolved';
CREATE INDEX alert_first_seen ON alert (first_seen_at DESC, id DESC);
CREATE INDEX alert_unresolved ON alert (state, severity) WHERE state <> 'resolved';

-- An alert's history: raised, seen again (only when its severity changed), notified, acknowledged,
-- resolved (by a person or automatically).
CREATE TABLE alert_event (
  id          BIGSERIAL PRIMARY KEY,
  alert_id    BIGINT NOT NULL REFERENCES alert(id),
  kind        TEXT NOT NULL CHECK (kind IN ('raised', 'escalated', 'notified', 'acknowledged', 'resolved', 'auto_resolved')),
  by_user_id  BIGINT REFERENCES console_user(id),
  note        TEXT,
  detail      JSONB NOT NULL DEFAULT '{}',
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX alert_event_alert ON alert_event (alert_id, id);

-- Routing rules: alerts of these kinds (empty: every kind) at or above a severity go to one
-- recipient over one channel, in one language.
CREATE TABLE alert_route (
  id            BIGSERIAL PRIMARY KEY,
  name          TEXT NOT NULL,
  kinds         TEXT[] NOT NULL DEFAULT '{}',
  min_severity  TEXT NOT NULL CHECK (min_severity IN ('info', 'warning', 'critical')),
  channel       TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'telegram')),
  address       TEXT NOT NULL,
  locale        TEXT NOT NULL CHECK (locale IN ('zh', 'en')),
  enabled       BOOLEAN NOT NULL DEFAULT TRUE,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- An order's alerts (order_event.alert) can be acknowledged by an operator, with a note.
ALTER TABLE order_event
  ADD COLUMN acknowledged_at TIMESTAMPTZ,
  ADD COLUMN acknowledged_by BIGINT REFERENCES console_user(id),
  ADD COLUMN acknowledge_note TEXT;
CREATE INDEX order_event_alert_unacknowledged ON order_event (kind, created_at) WHERE alert AND acknowledged_at IS NULL;

-- Operators' permissions: operations and support read and handle alerts, read-only reads them.
UPDATE console_role SET permissions = permissions || '{alerts.read,alerts.operate}'::text[]
  WHERE code IN ('operations', 'support', 'finance') AND NOT 'alerts.read' = ANY(permissions);
UPDATE console_role SET permissions = array_append(permissions, 'alerts.configure')
  WHERE code = 'operations' AND NOT 'alerts.configure' = ANY(permissions);
UPDATE console_role SET permissions = array_append(permissions, 'alerts.read')
  WHERE code = 'read_only' AND NOT 'alerts.read' = ANY(permissions);

-- The detectors' reads: paying orders by age, merchant notifies that keep failing.
CREATE INDEX pay_order_paying_created ON pay_order (created_at) WHERE state = 'paying';
CREATE INDEX notify_task_failing ON notify_task (updated_at) WHERE attempts > 0 AND state <> 'succeeded';
CREATE INDEX recon_item_open_created ON recon_item (created_at) WHERE resolution = 'open' AND class <> 'carried';
