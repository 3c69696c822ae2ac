-- Members sign their split-and-commission agreements (分账抽佣协议) in the member portal, and the
-- members who chose automatic withdrawal are withdrawn for once a local day.

-- A member party's signature: when and how, and the document as it was signed (the terms it names
-- are the party's at that moment; changing them puts the party back to pending).
ALTER TABLE split_rule_party ADD COLUMN agreement_signed_at TIMESTAMPTZ;
ALTER TABLE split_rule_party ADD COLUMN agreement_signed_via TEXT
  CHECK (agreement_signed_via IN ('member_portal'));
ALTER TABLE split_rule_party ADD COLUMN agreement_document TEXT;
ALTER TABLE split_rule_party ADD CONSTRAINT split_rule_party_signed CHECK (
  (agreement_state = 'signed') = (agreement_signed_at IS NOT NULL AND agreement_signed_via IS NOT NULL
                                  AND agreement_document IS NOT NULL));
-- A member's agreements to sign and signed (the member portal reads them by member).
CREATE INDEX split_rule_party_member ON split_rule_party (member_id, id DESC) WHERE member_id IS NOT NULL;

-- The automatic withdrawal's run of a member on a local day: at most one (the primary key), with
-- the withdrawal it made or why it made none.
CREATE TABLE member_auto_withdrawal (
  member_id    BIGINT NOT NULL REFERENCES member(id),
  local_day    DATE NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('withdrawn', 'skipped')),
  -- skipped: frozen, closed, not_active, below_minimum, no_card, or the refusal's error code.
  reason       TEXT,
  withdraw_no  TEXT,
  amount       BIGINT,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (member_id, local_day),
  CONSTRAINT member_auto_withdrawal_outcome CHECK ((outcome = 'withdrawn') = (withdraw_no IS NOT NULL))
);
CREATE INDEX member_withdraw_auto ON member (id) WHERE withdraw_mode = 'auto';
