-- The Telegram bot (OP-11): its settings (one row), the groups bound to the operators or to a
-- merchant, the one-time binding codes, and the events already pushed to each group.

-- One row: the bot token (sealed to this row), the Bot API base URL, how updates arrive (long
-- polling by one worker at a time, or a webhook checked by its secret token, sealed too), the next
-- update offset of getUpdates, and how far the pushed-events job has read.
CREATE TABLE bot_config (
  id                 SMALLINT PRIMARY KEY CHECK (id = 1),
  token_enc          TEXT,
  api_base_url       TEXT NOT NULL DEFAULT 'https://api.telegram.org',
  mode               TEXT NOT NULL DEFAULT 'polling' CHECK (mode IN ('polling', 'webhook')),
  webhook_secret_enc TEXT,
  -- What the Bot API said when the webhook was last set (or deleted): for the console.
  webhook_state      TEXT NOT NULL DEFAULT 'none' CHECK (webhook_state IN ('none', 'set', 'failed')),
  bot_username       TEXT,
  update_offset      BIGINT NOT NULL DEFAULT 0,
  events_read_until  TIMESTAMPTZ,
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO bot_config (id) VALUES (1);

-- A group (Telegram chat) bound to the operators or to one merchant.
CREATE TABLE bot_group (
  id                      BIGSERIAL PRIMARY KEY,
  chat_id                 BIGINT NOT NULL UNIQUE,
  title                   TEXT NOT NULL DEFAULT '',
  subject                 TEXT NOT NULL CHECK (subject IN ('operators', 'merchant')),
  merchant_id             BIGINT REFERENCES merchant(id),
  language                TEXT NOT NULL CHECK (language IN ('zh', 'en')),
  enabled                 BOOLEAN NOT NULL DEFAULT TRUE,
  -- Telegram user ids allowed to ask; empty: everyone in the group.
  allowed_user_ids        BIGINT[] NOT NULL DEFAULT '{}',
  -- A merchant group is told of payments of at least this many fen; null: not told.
  large_payment_threshold BIGINT CHECK (large_payment_threshold > 0),
  bound_by_user_id        BIGINT REFERENCES console_user(id),
  bound_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_activity_at        TIMESTAMPTZ,
  CHECK ((subject = 'merchant') = (merchant_id IS NOT NULL))
);
CREATE INDEX bot_group_merchant ON bot_group (merchant_id) WHERE merchant_id IS NOT NULL;

-- One-time binding codes: only their keyed hash is kept; a code binds one group, once, before it expires.
CREATE TABLE bot_binding_code (
  id                 BIGSERIAL PRIMARY KEY,
  code_hash          TEXT NOT NULL UNIQUE,
  subject            TEXT NOT NULL CHECK (subject IN ('operators', 'merchant')),
  merchant_id        BIGINT REFERENCES merchant(id),
  language           TEXT NOT NULL CHECK (language IN ('zh', 'en')),
  created_by_user_id BIGINT NOT NULL REFERENCES console_user(id),
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at         TIMESTAMPTZ NOT NULL,
  used_at            TIMESTAMPTZ,
  used_by_chat_id    BIGINT,
  CHECK ((subject = 'merchant') = (merchant_id IS NOT NULL))
);

-- What was pushed to a group, so an event is told once however often the job reads it.
CREATE TABLE bot_push (
  group_id  BIGINT NOT NULL REFERENCES bot_group(id) ON DELETE CASCADE,
  event_key TEXT NOT NULL,
  sent_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, event_key)
);

-- The bot tells merchants' groups of notifies that failed for good, read by merchant and time.
CREATE INDEX notify_task_failed ON notify_task (merchant_id, updated_at) WHERE state = 'failed';
