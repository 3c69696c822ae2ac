-- Agents withdraw their available commission (分润) to their own bank card through the same
-- cards, withdrawals and payouts as merchants: each of those rows belongs to a merchant or an agent,
-- never both and never neither. The agent's funds move agent_available → agent_frozen (ledger) while
-- a withdrawal is open; there are no per-agent rules (the platform defaults apply).

ALTER TABLE bank_card ALTER COLUMN merchant_id DROP NOT NULL;
ALTER TABLE bank_card ADD COLUMN agent_id BIGINT REFERENCES agent(id);
ALTER TABLE bank_card ADD CONSTRAINT bank_card_one_owner CHECK (num_nonnulls(merchant_id, agent_id) = 1);
CREATE INDEX bank_card_agent ON bank_card (agent_id, id) WHERE agent_id IS NOT NULL AND deleted_at IS NULL;
CREATE UNIQUE INDEX bank_card_agent_one_default ON bank_card (agent_id)
  WHERE agent_id IS NOT NULL AND is_default AND deleted_at IS NULL;

ALTER TABLE withdrawal ALTER COLUMN merchant_id DROP NOT NULL;
ALTER TABLE withdrawal ADD COLUMN agent_id BIGINT REFERENCES agent(id);
ALTER TABLE withdrawal ADD CONSTRAINT withdrawal_one_owner CHECK (num_nonnulls(merchant_id, agent_id) = 1);
-- The client's number is unique per owner, as (merchant_id, mch_withdraw_no) is for merchants.
ALTER TABLE withdrawal ADD CONSTRAINT withdrawal_agent_mch_withdraw_no UNIQUE (agent_id, mch_withdraw_no);
CREATE INDEX withdrawal_agent_day ON withdrawal (agent_id, local_day) WHERE agent_id IS NOT NULL;
CREATE INDEX withdrawal_agent_id ON withdrawal (agent_id, id DESC) WHERE agent_id IS NOT NULL;

ALTER TABLE payout_order ALTER COLUMN merchant_id DROP NOT NULL;
ALTER TABLE payout_order ADD COLUMN agent_id BIGINT REFERENCES agent(id);
-- Third-party payouts are a merchant's only; a withdrawal's payout is its withdrawal owner's.
ALTER TABLE payout_order ADD CONSTRAINT payout_order_one_owner CHECK (
  num_nonnulls(merchant_id, agent_id) = 1 AND (agent_id IS NULL OR kind = 'withdrawal'));
CREATE INDEX payout_order_agent ON payout_order (agent_id, created_at DESC) WHERE agent_id IS NOT NULL;
