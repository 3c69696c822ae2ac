-- Marketplace members (MON-9): the buyers and sellers of a merchant's app, people or companies,
-- known to the merchant by its own bizUserId. Each member has ledger accounts of its own
-- (member_pending = 待结算户, member_available = 簿记账户, member_frozen while a withdrawal is open)
-- and withdraws to its own bank card through the same cards, withdrawals and payouts as merchants
-- and agents: those rows now belong to a merchant, an agent or a member, exactly one of them.

CREATE TABLE member (
  id                  BIGSERIAL PRIMARY KEY,
  merchant_id         BIGINT NOT NULL REFERENCES merchant(id),
  app_id              BIGINT NOT NULL REFERENCES merchant_app(id),
  biz_user_id         TEXT NOT NULL,
  member_no           TEXT NOT NULL UNIQUE,
  type                TEXT NOT NULL CHECK (type IN ('personal', 'enterprise')),
  name                TEXT NOT NULL,
  phone               TEXT,
  -- Identity: the ID number or the company's unified social credit code, sealed; last 4 shown.
  id_no_enc           TEXT,
  id_no_last4         TEXT,
  legal_person_name   TEXT,
  -- created → (verified) → active; frozen stops money out; closed is final.
  state               TEXT NOT NULL DEFAULT 'created'
                        CHECK (state IN ('created', 'verified', 'active', 'frozen', 'closed')),
  real_name_verified_at TIMESTAMPTZ,
  -- How it was onboarded: by the merchant's API, in its portal on the member's behalf, by the
  -- member through a signing link, or by a batch import.
  source              TEXT NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'portal', 'self_service', 'import')),
  -- Withdrawal setting seen in the member portal: manual, automatic at a time to a card, or set by the platform.
  withdraw_mode       TEXT NOT NULL DEFAULT 'manual' CHECK (withdraw_mode IN ('manual', 'auto', 'platform')),
  withdraw_auto_time  TEXT,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (app_id, biz_user_id)
);
CREATE INDEX member_merchant ON member (merchant_id, id DESC);
CREATE INDEX member_phone ON member (phone) WHERE phone IS NOT NULL;

-- Signed agreements: which version, when, and how (API, portal, signing link, SMS confirmation).
CREATE TABLE member_agreement (
  id          BIGSERIAL PRIMARY KEY,
  member_id   BIGINT NOT NULL REFERENCES member(id),
  kind        TEXT NOT NULL,
  version     TEXT NOT NULL,
  signed_via  TEXT NOT NULL,
  signed_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (member_id, kind, version)
);

ALTER TABLE bank_card ADD COLUMN member_id BIGINT REFERENCES member(id);
ALTER TABLE bank_card DROP CONSTRAINT bank_card_one_owner;
ALTER TABLE bank_card ADD CONSTRAINT bank_card_one_owner CHECK (num_nonnulls(merchant_id, agent_id, member_id) = 1);
CREATE INDEX bank_card_member ON bank_card (member_id, id) WHERE member_id IS NOT NULL AND deleted_at IS NULL;
CREATE UNIQUE INDEX bank_card_member_one_default ON bank_card (member_id)
  WHERE member_id IS NOT NULL AND is_default AND deleted_at IS NULL;

ALTER TABLE withdrawal ADD COLUMN member_id BIGINT REFERENCES member(id);
ALTER TABLE withdrawal DROP CONSTRAINT withdrawal_one_owner;
ALTER TABLE withdrawal ADD CONSTRAINT withdrawal_one_owner CHECK (num_nonnulls(merchant_id, agent_id, member_id) = 1);
ALTER TABLE withdrawal ADD CONSTRAINT withdrawal_member_mch_withdraw_no UNIQUE (member_id, mch_withdraw_no);
CREATE INDEX withdrawal_member_day ON withdrawal (member_id, local_day) WHERE member_id IS NOT NULL;
CREATE INDEX withdrawal_member_id ON withdrawal (member_id, id DESC) WHERE member_id IS NOT NULL;

ALTER TABLE payout_order ADD COLUMN member_id BIGINT REFERENCES member(id);
ALTER TABLE payout_order DROP CONSTRAINT payout_order_one_owner;
ALTER TABLE payout_order ADD CONSTRAINT payout_order_one_owner CHECK (
  num_nonnulls(merchant_id, agent_id, member_id) = 1
  AND ((agent_id IS NULL AND member_id IS NULL) OR kind = 'withdrawal'));
CREATE INDEX payout_order_member ON payout_order (member_id, created_at DESC) WHERE member_id IS NOT NULL;
