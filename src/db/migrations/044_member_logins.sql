-- The member portal (会员门户, seed 001 §2): a marketplace member logs in to see its own
-- information, balances, account entries and withdrawals. Its login is a console user of the area
-- 'member' tied to one member (at most one login per member); it sets the login up itself after
-- proving it holds the member's bound phone by an SMS code (首次登录), and may then log in by its
-- username or, when it chose to, by that phone number (one phone logs in to one member only).

ALTER TABLE console_user DROP CONSTRAINT console_user_area_check;
ALTER TABLE console_user ADD CONSTRAINT console_user_area_check
  CHECK (area IN ('operator', 'merchant', 'agent', 'member'));
ALTER TABLE console_user ADD COLUMN member_id BIGINT REFERENCES member(id);
ALTER TABLE console_user ADD COLUMN login_phone TEXT;
ALTER TABLE console_user ADD CONSTRAINT console_user_member_area CHECK ((area = 'member') = (member_id IS NOT NULL));
ALTER TABLE console_user ADD CONSTRAINT console_user_login_phone_member CHECK (login_phone IS NULL OR area = 'member');
CREATE UNIQUE INDEX console_user_one_member_login ON console_user (member_id)
  WHERE member_id IS NOT NULL AND deleted_at IS NULL;
CREATE UNIQUE INDEX console_user_login_phone ON console_user (login_phone)
  WHERE login_phone IS NOT NULL AND deleted_at IS NULL;

-- First-login codes sent to a phone: each code is kept hashed, counts its wrong guesses, and once
-- right gives a short-lived setup token (hashed too) that sets up one member's login.
CREATE TABLE member_login_code (
  id               BIGSERIAL PRIMARY KEY,
  phone            TEXT NOT NULL,
  ip               TEXT NOT NULL,
  code_hash        TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  expires_at       TIMESTAMPTZ NOT NULL,
  setup_token_hash TEXT UNIQUE,
  setup_expires_at TIMESTAMPTZ,
  used_at          TIMESTAMPTZ,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX member_login_code_phone ON member_login_code (phone, created_at DESC);
CREATE INDEX member_login_code_ip ON member_login_code (ip, created_at DESC);
