-- Self-service member onboarding (签约链接, seed 001 §1): the merchant hands a member a link (or its
-- QR); the member fills its identity, uploads licence images (enterprises), binds a phone by SMS
-- code, optionally a bank card, and signs the agreement, which opens the member. The link holds
-- every step's data as it is done, so the member can close the page and resume; only the token's
-- hash is kept, and ID and card numbers are sealed to the row as member.id_no is.

CREATE SEQUENCE member_onboarding_link_no_seq;

CREATE TABLE member_onboarding_link (
  id                     BIGSERIAL PRIMARY KEY,
  link_no                TEXT NOT NULL UNIQUE,
  merchant_id            BIGINT NOT NULL REFERENCES merchant(id),
  app_id                 BIGINT NOT NULL REFERENCES merchant_app(id),
  token_hash             TEXT NOT NULL UNIQUE,
  -- What the merchant filled in beforehand: the member sees it and cannot change the bizUserId or type.
  preset_biz_user_id     TEXT,
  preset_type            TEXT CHECK (preset_type IN ('personal', 'enterprise')),
  preset_name            TEXT,
  preset_phone           TEXT,
  -- open → completed | revoked; an open link past expires_at is expired (read, never written).
  state                  TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'completed', 'revoked')),
  expires_at             TIMESTAMPTZ NOT NULL,
  -- Step identity: the member's (or company's) name and ID number (or credit code), and for a
  -- company its legal person's name and ID number; set once the verifier passed them.
  type                   TEXT CHECK (type IN ('personal', 'enterprise')),
  name                   TEXT,
  id_no_enc              TEXT,
  id_no_last4            TEXT,
  legal_person_name      TEXT,
  legal_id_no_enc        TEXT,
  identity_verified_at   TIMESTAMPTZ,
  -- Step phone: the last code sent (hashed, its guesses counted) and the phone once proven.
  code_phone             TEXT,
  code_hash              TEXT,
  code_attempts          INTEGER NOT NULL DEFAULT 0,
  code_expires_at        TIMESTAMPTZ,
  code_sent_at           TIMESTAMPTZ,
  codes_sent             INTEGER NOT NULL DEFAULT 0,
  phone                  TEXT,
  phone_verified_at      TIMESTAMPTZ,
  -- Step bank card (optional): checked by the verifier, bound to the member when it signs.
  card_no_enc            TEXT,
  card_last4             TEXT,
  card_bank_name         TEXT,
  card_verified_at       TIMESTAMPTZ,
  card_skipped_at        TIMESTAMPTZ,
  member_id              BIGINT REFERENCES member(id),
  created_by             BIGINT,
  created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at           TIMESTAMPTZ,
  revoked_at             TIMESTAMPTZ
);
CREATE INDEX member_onboarding_link_merchant ON member_onboarding_link (merchant_id, id DESC);

-- Licence images an enterprise uploads through its link: only the merchant reads them back.
CREATE TABLE member_onboarding_image (
  id            BIGSERIAL PRIMARY KEY,
  link_id       BIGINT NOT NULL REFERENCES member_onboarding_link(id),
  kind          TEXT NOT NULL CHECK (kind IN ('licence', 'legal_person_id')),
  content_type  TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
  content       BYTEA NOT NULL,
  sha256        TEXT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (link_id, kind)
);

