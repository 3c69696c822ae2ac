-- Notifications over e-mail, SMS and Telegram (NT-1): the templates operators changed (the defaults
-- live in code), the delivery log (an outbox: queued → sent / failed / suppressed, retried by the
-- worker), the blacklist of addresses, each merchant's opt-in to customer messages, and the console
-- users' mobile numbers (reset codes by SMS). Provider settings and quiet hours are platform settings.

ALTER TABLE console_user ADD COLUMN phone TEXT NOT NULL DEFAULT '';

CREATE TABLE notification_template (
  event             TEXT NOT NULL,
  locale            TEXT NOT NULL CHECK (locale IN ('zh', 'en')),
  subject           TEXT NOT NULL,
  body              TEXT NOT NULL,
  -- The SMS provider's template code and sign name for this event and language ('' = not set / the provider's sign name).
  sms_template_code TEXT NOT NULL DEFAULT '',
  sms_sign_name     TEXT NOT NULL DEFAULT '',
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (event, locale)
);

CREATE TABLE notification_outbox (
  id              BIGSERIAL PRIMARY KEY,
  -- The natural key the sealed variables are bound to (SecretBox place).
  seal_key        TEXT NOT NULL UNIQUE,
  event           TEXT NOT NULL,
  channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'telegram')),
  address         TEXT NOT NULL,
  locale          TEXT NOT NULL CHECK (locale IN ('zh', 'en')),
  merchant_id     BIGINT,
  urgent          BOOLEAN NOT NULL DEFAULT false,
  status          TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'suppressed')),
  -- The rendered message with one-time codes masked: what the delivery log shows.
  subject         TEXT NOT NULL,
  text            TEXT NOT NULL,
  -- The variables, sealed; rendered again at each attempt, dropped once the message is final.
  vars_enc        TEXT,
  provider        TEXT NOT NULL DEFAULT '',
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  lease_until     TIMESTAMPTZ,
  last_answer     TEXT NOT NULL DEFAULT '',
  -- Why a message waits or was suppressed: 'quiet_hours', 'blacklist'.
  note            TEXT NOT NULL DEFAULT '',
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at     TIMESTAMPTZ
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX notification_outbox_created ON notification_outbox (created_at DESC, id DESC);

CREATE TABLE notification_blacklist (
  id         BIGSERIAL PRIMARY KEY,
  channel    TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'telegram')),
  -- Normalised: e-mail lower-cased, phone digits with their leading +.
  address    TEXT NOT NULL,
  remark     TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (channel, address)
);

-- Customer messages (order paid, refund succeeded) a merchant switched on.
CREATE TABLE notification_merchant_optin (
  merchant_id      BIGINT PRIMARY KEY REFERENCES merchant(id),
  order_paid       BOOLEAN NOT NULL DEFAULT false,
  refund_succeeded BOOLEAN NOT NULL DEFAULT false,
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
