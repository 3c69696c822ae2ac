-- Statistics that scale (OP-8, MP-2, AG-4): rollups kept up to date in the same transaction as every
-- change of an order or a profit row, so a dashboard reads a few hundred rollup rows, never pay_order.
--
-- Statement-level triggers with transition tables fold a whole statement's changes into one sorted
-- upsert per rollup: a group-commit batch of payments is one aggregation, and every transaction
-- takes its rollup rows' locks in key order, so two batches that share rows queue instead of
-- deadlocking. An update is its new rows' contribution less its old rows', so a transition, a
-- reroute to another account or a refund's reservation moves exactly what it changed.

-- What refunds took back of an order's agent commission (kept with the refunded fee and cost).
ALTER TABLE pay_order ADD COLUMN refunded_agent_commission BIGINT NOT NULL DEFAULT 0;

-- Per hour an order was placed in (UTC hour start), merchant, product, channel account, the cashier
-- who placed it (0: none) and test mark. Paid and refunded figures are those of the orders placed in
-- the hour; refunded ones include refunds still pending (their money is reserved already).
CREATE TABLE stats_order_hour (
  hour                       TIMESTAMPTZ NOT NULL,
  merchant_id                BIGINT NOT NULL,
  product_id                 BIGINT NOT NULL,
  channel_account_id         BIGINT NOT NULL,
  cashier_id                 BIGINT NOT NULL,
  test                       BOOLEAN NOT NULL,
  currency                   TEXT NOT NULL,
  order_count                BIGINT NOT NULL DEFAULT 0,
  paid_count                 BIGINT NOT NULL DEFAULT 0,
  -- Closed or failed without a payment: decided, not successful (the success rate's denominator
  -- is paid + these).
  unpaid_count               BIGINT NOT NULL DEFAULT 0,
  paid_amount                BIGINT NOT NULL DEFAULT 0,
  fee                        BIGINT NOT NULL DEFAULT 0,
  channel_cost               BIGINT NOT NULL DEFAULT 0,
  agent_commission           BIGINT NOT NULL DEFAULT 0,
  platform_profit            BIGINT NOT NULL DEFAULT 0,
  refunded_count             BIGINT NOT NULL DEFAULT 0,
  refunded_amount            BIGINT NOT NULL DEFAULT 0,
  refunded_fee               BIGINT NOT NULL DEFAULT 0,
  refunded_channel_cost      BIGINT NOT NULL DEFAULT 0,
  refunded_agent_commission  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, merchant_id, product_id, channel_account_id, cashier_id, test, currency)
);
CREATE INDEX stats_order_hour_merchant ON stats_order_hour (merchant_id, hour);

-- Per minute an order was placed in and channel account: the live success rates (last 15 / 60 min).
CREATE TABLE stats_channel_minute (
  minute             TIMESTAMPTZ NOT NULL,
  channel_account_id BIGINT NOT NULL,
  test               BOOLEAN NOT NULL,
  order_count        BIGINT NOT NULL DEFAULT 0,
  paid_count         BIGINT NOT NULL DEFAULT 0,
  unpaid_count       BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (minute, channel_account_id, test)
);

-- Per hour an order was paid in, agent of its chain, merchant and product: the agent's volume and
-- its own commission, net of refunds (order_profit).
CREATE TABLE stats_agent_hour (
  hour                TIMESTAMPTZ NOT NULL,
  agent_id            BIGINT NOT NULL,
  merchant_id         BIGINT NOT NULL,
  product_id          BIGINT NOT NULL,
  test                BOOLEAN NOT NULL,
  currency            TEXT NOT NULL,
  paid_count          BIGINT NOT NULL DEFAULT 0,
  paid_amount         BIGINT NOT NULL DEFAULT 0,
  commission          BIGINT NOT NULL DEFAULT 0,
  refunded_commission BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (hour, agent_id, merchant_id, product_id, test, currency)
);
CREATE INDEX stats_agent_hour_agent ON stats_agent_hour (agent_id, hour);

-- The order's amount and test mark on its profit rows, so the agent rollup needs no join.
ALTER TABLE order_profit ADD COLUMN order_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE order_profit ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;

-- Two functions with the same fold, static so PL/pgSQL keeps their plans: an insert's trigger has
-- no old rows to name.
CREATE FUNCTION stats_order_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- New orders: their contribution.
  WITH changed AS (SELECT 1 AS s, n.* FROM new_rows n),
  parts AS (
    SELECT date_trunc('hour', created_at) AS hour, merchant_id, product_id, COALESCE(channel_account_id, 0) AS account,
           COALESCE(created_by_user_id, 0) AS cashier, test, currency,
           s::bigint AS order_count,
           CASE WHEN paid_at IS NOT NULL THEN s ELSE 0 END::bigint AS paid_count,
           CASE WHEN paid_at IS NULL AND state IN ('closed', 'failed') THEN s ELSE 0 END::bigint AS unpaid_count,
           CASE WHEN paid_at IS NOT NULL THEN s * amount ELSE 0 END AS paid_amount,
           CASE WHEN paid_at IS NOT NULL THEN s * fee ELSE 0 END AS fee,
           CASE WHEN paid_at IS NOT NULL THEN s * channel_cost ELSE 0 END AS channel_cost,
           CASE WHEN paid_at IS NOT NULL THEN s * agent_commission ELSE 0 END AS agent_commission,
           CASE WHEN paid_at IS NOT NULL THEN s * platform_profit ELSE 0 END AS platform_profit,
           CASE WHEN refunded_amount > 0 THEN s ELSE 0 END::bigint AS refunded_count,
           s * refunded_amount AS refunded_amount, s * refunded_fee AS refunded_fee,
           s * refunded_channel_cost AS refunded_channel_cost,
           s * refunded_agent_commission AS refunded_agent_commission,
           date_trunc('minute', created_at) AS minute
    FROM changed),
  hours AS (
    INSERT INTO stats_order_hour AS r (hour, merchant_id, product_id, channel_account_id, cashier_id, test, currency,
      order_count, paid_count, unpaid_count, paid_amount, fee, channel_cost, agent_commission, platform_profit,
      refunded_count, refunded_amount, refunded_fee, refunded_channel_cost, refunded_agent_commission)
    SELECT hour, merchant_id, product_id, account, cashier, test, currency,
           sum(order_count), sum(paid_count), sum(unpaid_count), sum(paid_amount), sum(fee), sum(channel_cost),
           sum(agent_commission), sum(platform_profit), sum(refunded_count), sum(refunded_amount), sum(refunded_fee),
           sum(refunded_channel_cost), sum(refunded_agent_commission)
    FROM parts GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(order_count) <> 0 OR sum(paid_count) <> 0 OR sum(unpaid_count) <> 0 OR sum(paid_amount) <> 0
        OR sum(fee) <> 0 OR sum(channel_cost) <> 0 OR sum(agent_commission) <> 0 OR sum(platform_profit) <> 0
        OR sum(refunded_count) <> 0 OR sum(refunded_amount) <> 0 OR sum(refunded_fee) <> 0
        OR sum(refunded_channel_cost) <> 0 OR sum(refunded_agent_commission) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (hour, merchant_id, product_id, channel_account_id, cashier_id, test, currency) DO UPDATE SET
      order_count = r.order_count + EXCLUDED.order_count, paid_count = r.paid_count + EXCLUDED.paid_count,
      unpaid_count = r.unpaid_count + EXCLUDED.unpaid_count, paid_amount = r.paid_amount + EXCLUDED.paid_amount,
      fee = r.fee + EXCLUDED.fee, channel_cost = r.channel_cost + EXCLUDED.channel_cost,
      agent_commission = r.agent_commission + EXCLUDED.agent_commission,
      platform_profit = r.platform_profit + EXCLUDED.platform_profit,
      refunded_count = r.refunded_count + EXCLUDED.refunded_count,
      refunded_amount = r.refunded_amount + EXCLUDED.refunded_amount,
      refunded_fee = r.refunded_fee + EXCLUDED.refunded_fee,
      refunded_channel_cost = r.refunded_channel_cost + EXCLUDED.refunded_channel_cost,
      refunded_agent_commission = r.refunded_agent_commission + EXCLUDED.refunded_agent_commission
    RETURNING 1)
  INSERT INTO stats_channel_minute AS r (minute, channel_account_id, test, order_count, paid_count, unpaid_count)
  SELECT minute, account, test, sum(order_count), sum(paid_count), sum(unpaid_count)
  FROM parts WHERE account <> 0 GROUP BY 1, 2, 3
  HAVING sum(order_count) <> 0 OR sum(paid_count) <> 0 OR sum(unpaid_count) <> 0
  ORDER BY 1, 2, 3
  ON CONFLICT (minute, channel_account_id, test) DO UPDATE SET
    order_count = r.order_count + EXCLUDED.order_count, paid_count = r.paid_count + EXCLUDED.paid_count,
    unpaid_count = r.unpaid_count + EXCLUDED.unpaid_count;
  RETURN NULL;
END $fn$;

CREATE FUNCTION stats_order_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- Changed orders: new rows' contribution less old rows'.
  WITH changed AS (SELECT 1 AS s, n.* FROM new_rows n UNION ALL SELECT -1 AS s, o.* FROM old_rows o),
  parts AS (
    SELECT date_trunc('hour', created_at) AS hour, merchant_id, product_id, COALESCE(channel_account_id, 0) AS account,
           COALESCE(created_by_user_id, 0) AS cashier, test, currency,
           s::bigint AS order_count,
           CASE WHEN paid_at IS NOT NULL THEN s ELSE 0 END::bigint AS paid_count,
           CASE WHEN paid_at IS NULL AND state IN ('closed', 'failed') THEN s ELSE 0 END::bigint AS unpaid_count,
           CASE WHEN paid_at IS NOT NULL THEN s * amount ELSE 0 END AS paid_amount,
           CASE WHEN paid_at IS NOT NULL THEN s * fee ELSE 0 END AS fee,
           CASE WHEN paid_at IS NOT NULL THEN s * channel_cost ELSE 0 END AS channel_cost,
           CASE WHEN paid_at IS NOT NULL THEN s * agent_commission ELSE 0 END AS agent_commission,
           CASE WHEN paid_at IS NOT NULL THEN s * platform_profit ELSE 0 END AS platform_profit,
           CASE WHEN refunded_amount > 0 THEN s ELSE 0 END::bigint AS refunded_count,
           s * refunded_amount AS refunded_amount, s * refunded_fee AS refunded_fee,
           s * refunded_channel_cost AS refunded_channel_cost,
           s * refunded_agent_commission AS refunded_agent_commission,
           date_trunc('minute', created_at) AS minute
    FROM changed),
  hours AS (
    INSERT INTO stats_order_hour AS r (hour, merchant_id, product_id, channel_account_id, cashier_id, test, currency,
      order_count, paid_count, unpaid_count, paid_amount, fee, channel_cost, agent_commission, platform_profit,
      refunded_count, refunded_amount, refunded_fee, refunded_channel_cost, refunded_agent_commission)
    SELECT hour, merchant_id, product_id, account, cashier, test, currency,
           sum(order_count), sum(paid_count), sum(unpaid_count), sum(paid_amount), sum(fee), sum(channel_cost),
           sum(agent_commission), sum(platform_profit), sum(refunded_count), sum(refunded_amount), sum(refunded_fee),
           sum(refunded_channel_cost), sum(refunded_agent_commission)
    FROM parts GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(order_count) <> 0 OR sum(paid_count) <> 0 OR sum(unpaid_count) <> 0 OR sum(paid_amount) <> 0
        OR sum(fee) <> 0 OR sum(channel_cost) <> 0 OR sum(agent_commission) <> 0 OR sum(platform_profit) <> 0
        OR sum(refunded_count) <> 0 OR sum(refunded_amount) <> 0 OR sum(refunded_fee) <> 0
        OR sum(refunded_channel_cost) <> 0 OR sum(refunded_agent_commission) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (hour, merchant_id, product_id, channel_account_id, cashier_id, test, currency) DO UPDATE SET
      order_count = r.order_count + EXCLUDED.order_count, paid_count = r.paid_count + EXCLUDED.paid_count,
      unpaid_count = r.unpaid_count + EXCLUDED.unpaid_count, paid_amount = r.paid_amount + EXCLUDED.paid_amount,
      fee = r.fee + EXCLUDED.fee, channel_cost = r.channel_cost + EXCLUDED.channel_cost,
      agent_commission = r.agent_commission + EXCLUDED.agent_commission,
      platform_profit = r.platform_profit + EXCLUDED.platform_profit,
      refunded_count = r.refunded_count + EXCLUDED.refunded_count,
      refunded_amount = r.refunded_amount + EXCLUDED.refunded_amount,
      refunded_fee = r.refunded_fee + EXCLUDED.refunded_fee,
      refunded_channel_cost = r.refunded_channel_cost + EXCLUDED.refunded_channel_cost,
      refunded_agent_commission = r.refunded_agent_commission + EXCLUDED.refunded_agent_commission
    RETURNING 1)
  INSERT INTO stats_channel_minute AS r (minute, channel_account_id, test, order_count, paid_count, unpaid_count)
  SELECT minute, account, test, sum(order_count), sum(paid_count), sum(unpaid_count)
  FROM parts WHERE account <> 0 GROUP BY 1, 2, 3
  HAVING sum(order_count) <> 0 OR sum(paid_count) <> 0 OR sum(unpaid_count) <> 0
  ORDER BY 1, 2, 3
  ON CONFLICT (minute, channel_account_id, test) DO UPDATE SET
    order_count = r.order_count + EXCLUDED.order_count, paid_count = r.paid_count + EXCLUDED.paid_count,
    unpaid_count = r.unpaid_count + EXCLUDED.unpaid_count;
  RETURN NULL;
END $fn$;

CREATE TRIGGER stats_order_rollup_insert AFTER INSERT ON pay_order
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_order_rollup_insert();
CREATE TRIGGER stats_order_rollup_update AFTER UPDATE ON pay_order
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_order_rollup_update();

CREATE FUNCTION stats_agent_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- New profit rows: their contribution.
  WITH changed AS (SELECT 1 AS s, n.* FROM new_rows n)
  INSERT INTO stats_agent_hour AS r (hour, agent_id, merchant_id, product_id, test, currency, paid_count, paid_amount,
    commission, refunded_commission)
  SELECT date_trunc('hour', paid_at), agent_id, merchant_id, product_id, test, currency,
         sum(s)::bigint, sum(s * order_amount), sum(s * amount), sum(s * refunded_amount)
  FROM changed WHERE agent_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6
  HAVING sum(s) <> 0 OR sum(s * order_amount) <> 0 OR sum(s * amount) <> 0 OR sum(s * refunded_amount) <> 0
  ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (hour, agent_id, merchant_id, product_id, test, currency) DO UPDATE SET
    paid_count = r.paid_count + EXCLUDED.paid_count, paid_amount = r.paid_amount + EXCLUDED.paid_amount,
    commission = r.commission + EXCLUDED.commission,
    refunded_commission = r.refunded_commission + EXCLUDED.refunded_commission;
  RETURN NULL;
END $fn$;

CREATE FUNCTION stats_agent_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- Changed profit rows: new rows' contribution less old rows'.
  WITH changed AS (SELECT 1 AS s, n.* FROM new_rows n UNION ALL SELECT -1 AS s, o.* FROM old_rows o)
  INSERT INTO stats_agent_hour AS r (hour, agent_id, merchant_id, product_id, test, currency, paid_count, paid_amount,
    commission, refunded_commission)
  SELECT date_trunc('hour', paid_at), agent_id, merchant_id, product_id, test, currency,
         sum(s)::bigint, sum(s * order_amount), sum(s * amount), sum(s * refunded_amount)
  FROM changed WHERE agent_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6
  HAVING sum(s) <> 0 OR sum(s * order_amount) <> 0 OR sum(s * amount) <> 0 OR sum(s * refunded_amount) <> 0
  ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (hour, agent_id, merchant_id, product_id, test, currency) DO UPDATE SET
    paid_count = r.paid_count + EXCLUDED.paid_count, paid_amount = r.paid_amount + EXCLUDED.paid_amount,
    commission = r.commission + EXCLUDED.commission,
    refunded_commission = r.refunded_commission + EXCLUDED.refunded_commission;
  RETURN NULL;
END $fn$;

-- Profit rows written before the rollups existed (before their triggers, so they count once).
UPDATE order_profit p SET order_amount = o.amount, test = o.test FROM pay_order o WHERE o.id = p.order_id;
INSERT INTO stats_agent_hour (hour, agent_id, merchant_id, product_id, test, currency, paid_count, paid_amount,
  commission, refunded_commission)
SELECT date_trunc('hour', paid_at), agent_id, merchant_id, product_id, test, currency, count(*), sum(order_amount),
       sum(amount), sum(refunded_amount)
FROM order_profit WHERE agent_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6;

CREATE TRIGGER stats_agent_rollup_insert AFTER INSERT ON order_profit
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_agent_rollup_insert();
CREATE TRIGGER stats_agent_rollup_update AFTER UPDATE ON order_profit
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_agent_rollup_update();

-- Orders placed before the rollups existed (their triggers fire on changes from now on).
INSERT INTO stats_order_hour (hour, merchant_id, product_id, channel_account_id, cashier_id, test, currency,
  order_count, paid_count, unpaid_count, paid_amount, fee, channel_cost, agent_commission, platform_profit,
  refunded_count, refunded_amount, refunded_fee, refunded_channel_cost, refunded_agent_commission)
SELECT date_trunc('hour', created_at), merchant_id, product_id, COALESCE(channel_account_id, 0),
       COALESCE(created_by_user_id, 0), test, currency, count(*),
       count(*) FILTER (WHERE paid_at IS NOT NULL),
       count(*) FILTER (WHERE paid_at IS NULL AND state IN ('closed', 'failed')),
       COALESCE(sum(amount) FILTER (WHERE paid_at IS NOT NULL), 0),
       COALESCE(sum(fee) FILTER (WHERE paid_at IS NOT NULL), 0),
       COALESCE(sum(channel_cost) FILTER (WHERE paid_at IS NOT NULL), 0),
       COALESCE(sum(agent_commission) FILTER (WHERE paid_at IS NOT NULL), 0),
       COALESCE(sum(platform_profit) FILTER (WHERE paid_at IS NOT NULL), 0),
       count(*) FILTER (WHERE refunded_amount > 0), sum(refunded_amount), sum(refunded_fee),
       sum(refunded_channel_cost), sum(refunded_agent_commission)
FROM pay_order GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO stats_channel_minute (minute, channel_account_id, test, order_count, paid_count, unpaid_count)
SELECT date_trunc('minute', created_at), channel_account_id, test, count(*),
       count(*) FILTER (WHERE paid_at IS NOT NULL),
       count(*) FILTER (WHERE paid_at IS NULL AND state IN ('closed', 'failed'))
FROM pay_order WHERE channel_account_id IS NOT NULL GROUP BY 1, 2, 3;
