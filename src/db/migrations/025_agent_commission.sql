-- Agent commission (分润, AG-3). An order snapshots its merchant's agent chain when it is created
-- (`agent_chain`: each level's terms, its fee on the order's amount and its share given the order's
-- channel cost, top agent first), so a move counts only for orders created after it; the shares add
-- up to `agent_commission`, and `platform_profit` is what is left: fee − channel cost − commission.
ALTER TABLE pay_order ADD COLUMN agent_chain JSONB;
ALTER TABLE pay_order ADD COLUMN agent_commission BIGINT NOT NULL DEFAULT 0 CHECK (agent_commission >= 0);
ALTER TABLE pay_order DROP CONSTRAINT pay_order_check;
ALTER TABLE pay_order ADD CONSTRAINT pay_order_fee_split CHECK (fee = channel_cost + agent_commission + platform_profit);

-- One row per party of a paid order with agents (written in the payment's transaction): the
-- platform (level 0) and each agent (level 1 = top). `refunded_amount` is what refunds took back;
-- an agent's row settles (pending → available) once the order's own settlement completed.
CREATE TABLE order_profit (
  order_id        BIGINT NOT NULL REFERENCES pay_order(id),
  level           INTEGER NOT NULL CHECK (level >= 0),
  agent_id        BIGINT REFERENCES agent(id),
  merchant_id     BIGINT NOT NULL,
  product_id      BIGINT NOT NULL,
  currency        TEXT NOT NULL,
  rate_ppm        INTEGER,
  fixed_fee       BIGINT,
  minimum_fee     BIGINT,
  amount          BIGINT NOT NULL,
  refunded_amount BIGINT NOT NULL DEFAULT 0,
  paid_at         TIMESTAMPTZ NOT NULL,
  settled_at      TIMESTAMPTZ,
  PRIMARY KEY (order_id, level),
  CHECK ((level = 0) = (agent_id IS NULL))
);
CREATE INDEX order_profit_agent_idx ON order_profit (agent_id, paid_at) WHERE agent_id IS NOT NULL;
CREATE INDEX order_profit_unsettled_idx ON order_profit (order_id) WHERE settled_at IS NULL AND level > 0;

-- A refund's commission given back per agent ([{agentId, level, amount, account}]) and its total.
ALTER TABLE refund_order ADD COLUMN agent_refunds JSONB;
ALTER TABLE refund_order ADD COLUMN agent_commission_refund BIGINT NOT NULL DEFAULT 0;

-- An operator's explicit consent that a binding may cost more than the top agent's rate: routing
-- picks it anyway and the platform bears the difference (its profit on such an order is negative).
ALTER TABLE product_binding ADD COLUMN allowed_at_loss BOOLEAN NOT NULL DEFAULT FALSE;
