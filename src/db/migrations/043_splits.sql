-- Splits, escrow and commission of marketplace orders (MON-7, MON-8). A merchant's split rules say
-- who receives an order's net (a fixed member, or the order's payee) and which commissions the
-- marketplace and other members take; an order's terms are kept beside it (never on pay_order),
-- and every share paid is a split record.

CREATE TABLE split_rule (
  id                  BIGSERIAL PRIMARY KEY,
  rule_no             TEXT NOT NULL UNIQUE,
  merchant_id         BIGINT NOT NULL REFERENCES merchant(id),
  -- The merchant app's public id (as on pay_order).
  app_id              TEXT NOT NULL,
  name                TEXT NOT NULL,
  -- 'payee': the order names its receiving member; 'member': always this member.
  receiver_kind       TEXT NOT NULL CHECK (receiver_kind IN ('payee', 'member')),
  receiver_member_id  BIGINT REFERENCES member(id),
  state               TEXT NOT NULL DEFAULT 'enabled' CHECK (state IN ('enabled', 'disabled')),
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT split_rule_receiver CHECK ((receiver_kind = 'member') = (receiver_member_id IS NOT NULL))
);
CREATE INDEX split_rule_merchant ON split_rule (merchant_id, id DESC);

-- Commission parties of a rule: the marketplace itself (the merchant) or a member.
CREATE TABLE split_rule_party (
  id                  BIGSERIAL PRIMARY KEY,
  rule_id             BIGINT NOT NULL REFERENCES split_rule(id),
  position            INT NOT NULL,
  party_kind          TEXT NOT NULL CHECK (party_kind IN ('merchant', 'member')),
  member_id           BIGINT REFERENCES member(id),
  -- ppm of the order amount, or fixed fen.
  basis               TEXT NOT NULL CHECK (basis IN ('ppm', 'fixed')),
  value               BIGINT NOT NULL CHECK (value >= 0),
  floor_amount        BIGINT CHECK (floor_amount >= 0),
  cap_amount          BIGINT CHECK (cap_amount >= 0),
  -- A member party signs the commission agreement; the merchant party has none.
  agreement_state     TEXT CHECK (agreement_state IN ('pending', 'signed')),
  agreement_sent_at   TIMESTAMPTZ,
  CONSTRAINT split_rule_party_member CHECK ((party_kind = 'member') = (member_id IS NOT NULL)),
  CONSTRAINT split_rule_party_agreement CHECK ((party_kind = 'member') = (agreement_state IS NOT NULL))
);
CREATE INDEX split_rule_party_rule ON split_rule_party (rule_id, position);

-- An order's marketplace terms, fixed at create: purpose, payee, rule and the parties' commissions.
CREATE TABLE order_split_terms (
  order_id            BIGINT PRIMARY KEY,
  order_no            TEXT NOT NULL UNIQUE,
  merchant_id         BIGINT NOT NULL REFERENCES merchant(id),
  currency            TEXT NOT NULL,
  purpose             TEXT NOT NULL CHECK (purpose IN ('consumption', 'recharge')),
  escrow              BOOLEAN NOT NULL,
  rule_id             BIGINT REFERENCES split_rule(id),
  receiver_member_id  BIGINT NOT NULL REFERENCES member(id),
  -- [{kind: 'merchant'|'member', memberId, amount}]: each commission, computed on the order amount.
  parties             JSONB NOT NULL DEFAULT '[]',
  -- created → split (paid and shared) | holding → partially_released → released, or refunded when
  -- refunds took all it held; direct: paid while the merchant was settled by the channel, so
  -- nothing was split.
  state               TEXT NOT NULL DEFAULT 'created'
                        CHECK (state IN ('created', 'split', 'holding', 'partially_released', 'released',
                                         'refunded', 'direct')),
  -- The paid net (amount − fee), what escrow held of it, released and gave back to refunds.
  net                 BIGINT NOT NULL DEFAULT 0,
  held                BIGINT NOT NULL DEFAULT 0,
  released            BIGINT NOT NULL DEFAULT 0,
  refunded            BIGINT NOT NULL DEFAULT 0,
  -- What of the net did not go to the merchant's pending (the settlement job leaves it alone).
  diverted            BIGINT NOT NULL DEFAULT 0,
  paid_at             TIMESTAMPTZ,
  auto_confirm_at     TIMESTAMPTZ,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_split_terms_escrow_due ON order_split_terms (auto_confirm_at)
  WHERE escrow AND state IN ('holding', 'partially_released');
CREATE INDEX order_split_terms_merchant_escrow ON order_split_terms (merchant_id, order_id DESC) WHERE escrow;

-- Escrow confirmations: each releases part of what the order holds, once per confirmNo.
CREATE TABLE escrow_confirmation (
  id                  BIGSERIAL PRIMARY KEY,
  order_id            BIGINT NOT NULL REFERENCES order_split_terms(order_id),
  confirm_no          TEXT NOT NULL,
  amount              BIGINT NOT NULL CHECK (amount > 0),
  -- By the merchant's named splits rather than in proportion to the rule.
  named               BOOLEAN NOT NULL DEFAULT false,
  source              TEXT NOT NULL CHECK (source IN ('api', 'portal', 'auto')),
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (order_id, confirm_no)
);

-- Every share and commission paid: to a member (its pending, settled later) or to the merchant.
CREATE TABLE split_record (
  id                  BIGSERIAL PRIMARY KEY,
  order_id            BIGINT NOT NULL REFERENCES order_split_terms(order_id),
  order_no            TEXT NOT NULL,
  merchant_id         BIGINT NOT NULL REFERENCES merchant(id),
  confirmation_id     BIGINT REFERENCES escrow_confirmation(id),
  to_kind             TEXT NOT NULL CHECK (to_kind IN ('merchant', 'member')),
  to_member_id        BIGINT REFERENCES member(id),
  kind                TEXT NOT NULL CHECK (kind IN ('share', 'commission')),
  -- Index of the rule party (commission) or -1 (the receiver's share): escrow releases add up per party.
  party_index         INT NOT NULL,
  amount              BIGINT NOT NULL CHECK (amount > 0),
  -- Taken back by refunds.
  refunded            BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
  currency            TEXT NOT NULL,
  -- pending: a member's money in its pending account; settled: moved to available (or, for the
  -- merchant, settled with the order).
  state               TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'settled')),
  settled_at          TIMESTAMPTZ,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT split_record_member CHECK ((to_kind = 'member') = (to_member_id IS NOT NULL))
);
CREATE INDEX split_record_order ON split_record (order_id, id);
CREATE INDEX split_record_merchant ON split_record (merchant_id, id DESC);
CREATE INDEX split_record_member ON split_record (to_member_id, id DESC) WHERE to_member_id IS NOT NULL;
CREATE INDEX split_record_unsettled ON split_record (id) WHERE state = 'pending';

-- What a refund of a split order took back, and from where, so a failed refund gives it back.
CREATE TABLE split_refund (
  refund_no           TEXT PRIMARY KEY,
  order_id            BIGINT NOT NULL REFERENCES order_split_terms(order_id),
  from_escrow         BIGINT NOT NULL DEFAULT 0,
  -- [{recordId, account: 'member_pending'|'member_available', memberId, amount}]
  parts               JSONB NOT NULL DEFAULT '[]',
  reversed_at         TIMESTAMPTZ,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A refund of a split order: the part of its debit escrow and members gave back, beside the
-- merchant's pending and available debits.
ALTER TABLE refund_order ADD COLUMN split_debit BIGINT NOT NULL DEFAULT 0 CHECK (split_debit >= 0);
ALTER TABLE refund_order DROP CONSTRAINT refund_order_debit_check;
ALTER TABLE refund_order ADD CONSTRAINT refund_order_debit_check CHECK (
  CASE WHEN direct THEN debited_pending = 0 AND debited_available = 0 AND pending_borrowed = 0 AND split_debit = 0
       ELSE debited_pending + debited_available + split_debit = amount - fee_refund
            AND pending_borrowed <= debited_pending END);
