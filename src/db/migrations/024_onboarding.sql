-- Merchant onboarding (进件, AG-5): an application for a merchant, submitted by an agent (for
-- itself or its subtree) or by an operator, reviewed by operators; approval opens the merchant.
-- Sensitive numbers are sealed to their row and column (services.secrets); each also keeps a keyed
-- hash of its normalised value (for the blacklist match, never the number) and a masked form.
CREATE TABLE onboarding_application (
  id                   BIGSERIAL PRIMARY KEY,
  application_no       TEXT NOT NULL UNIQUE,
  agent_id             BIGINT REFERENCES agent(id),
  submitted_by_user_id BIGINT REFERENCES console_user(id),
  state                TEXT NOT NULL CHECK (state IN
                         ('draft', 'submitted', 'changes_requested', 'resubmitted', 'approved', 'rejected')),
  merchant_type        TEXT NOT NULL CHECK (merchant_type IN ('company', 'individual')),
  merchant_name        TEXT NOT NULL,
  short_name           TEXT NOT NULL DEFAULT '',
  legal_name           TEXT NOT NULL,
  id_number_enc        TEXT NOT NULL,
  id_number_hash       TEXT NOT NULL,
  id_number_masked     TEXT NOT NULL,
  licence_no_enc       TEXT,
  licence_no_hash      TEXT,
  licence_no_masked    TEXT,
  contact_name         TEXT NOT NULL,
  phone_enc            TEXT NOT NULL,
  phone_hash           TEXT NOT NULL,
  phone_masked         TEXT NOT NULL,
  email                TEXT NOT NULL DEFAULT '',
  business_category    TEXT NOT NULL DEFAULT '',
  card_holder          TEXT NOT NULL,
  bank_name            TEXT NOT NULL,
  bank_branch          TEXT NOT NULL DEFAULT '',
  card_no_enc          TEXT NOT NULL,
  card_no_hash         TEXT NOT NULL,
  card_no_masked       TEXT NOT NULL,
  card_first4          TEXT NOT NULL,
  card_last4           TEXT NOT NULL,
  -- [{ productCode, ratePpm, fixedFee, minimumFee }], minor units as JSON numbers.
  rates                JSONB NOT NULL DEFAULT '[]',
  -- The reviewer's last note (changes asked for) or the reason of a rejection.
  review_note          TEXT NOT NULL DEFAULT '',
  reviewed_by_user_id  BIGINT REFERENCES console_user(id),
  reviewed_at          TIMESTAMPTZ,
  submitted_at         TIMESTAMPTZ,
  merchant_id          BIGINT REFERENCES merchant(id),
  created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((merchant_type = 'company') = (licence_no_enc IS NOT NULL))
);
CREATE INDEX onboarding_application_state_idx ON onboarding_application (state, id);
CREATE INDEX onboarding_application_agent_idx ON onboarding_application (agent_id, id);

-- Each transition, with who made it and the note the other side reads.
CREATE TABLE onboarding_event (
  id             BIGSERIAL PRIMARY KEY,
  application_id BIGINT NOT NULL REFERENCES onboarding_application(id),
  action         TEXT NOT NULL,
  from_state     TEXT,
  to_state       TEXT NOT NULL,
  note           TEXT NOT NULL DEFAULT '',
  details        JSONB,
  user_id        BIGINT REFERENCES console_user(id),
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX onboarding_event_application_idx ON onboarding_event (application_id, id);

-- The documents: the file itself is sealed under the upload folder, named by the row id.
CREATE TABLE onboarding_document (
  id             BIGSERIAL PRIMARY KEY,
  application_id BIGINT NOT NULL REFERENCES onboarding_application(id),
  kind           TEXT NOT NULL CHECK (kind IN ('licence', 'id_front', 'id_back')),
  content_type   TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf')),
  size_bytes     INTEGER NOT NULL CHECK (size_bytes > 0),
  sha256         TEXT NOT NULL,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (application_id, kind)
);

-- The blacklist: the keyed hash of the normalised value (never the value) and its masked form.
CREATE TABLE blacklist_entry (
  id                 BIGSERIAL PRIMARY KEY,
  kind               TEXT NOT NULL CHECK (kind IN ('id_number', 'licence_no', 'card_no', 'phone')),
  value_hash         TEXT NOT NULL,
  masked             TEXT NOT NULL,
  note               TEXT NOT NULL DEFAULT '',
  created_by_user_id BIGINT REFERENCES console_user(id),
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (kind, value_hash)
);

-- Operations review applications and keep the blacklist; finance and read-only see the queue.
UPDATE console_role SET permissions = permissions || '{onboarding.read,onboarding.review,onboarding.blacklist}'::text[]
  WHERE code = 'operations' AND NOT 'onboarding.read' = ANY(permissions);
UPDATE console_role SET permissions = array_append(permissions, 'onboarding.read')
  WHERE code IN ('read_only', 'finance') AND NOT 'onboarding.read' = ANY(permissions);
