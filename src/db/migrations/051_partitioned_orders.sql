-- Orders partitioned by month of created_at (UTC months) like the history of migration 048 and the
-- ledger entries of 050: the open orders' partial indexes, the vacuum of paid orders and the list's
-- indexes stay on small recent partitions as the table grows to hundreds of millions of rows. Like
-- the ledger they are never archived (refunds, settlement and statements read them for good);
-- src/db/partitions.ts creates the months.
--
-- A partitioned table's unique keys must hold its partition key, and an order's must not: its number
-- and its merchant's (app, mchOrderNo) are unique for ever, whatever the month. So each order's
-- identity lives in `pay_order_key`, one narrow row per order written in the same statement as the
-- order: its id (the row every table about an order references), its number and its merchant's
-- number, each unique. Partitioned, `pay_order` keeps plain indexes on those numbers for lookups.
--
-- Rebuilt under its own name as in 048: renamed, copied into the partitioned table, dropped. The id
-- sequence carries on; the primary key gains created_at, as partitioning requires. The statistics
-- triggers are made again on the new table (after the copy, so the copy counts nothing twice).

CREATE TABLE pay_order_key (
  id            BIGINT PRIMARY KEY,
  order_no      TEXT NOT NULL UNIQUE,
  app_id        TEXT NOT NULL,
  mch_order_no  TEXT NOT NULL,
  UNIQUE (app_id, mch_order_no)
);
INSERT INTO pay_order_key (id, order_no, app_id, mch_order_no)
  SELECT id, order_no, app_id, mch_order_no FROM pay_order;

-- What refers to an order refers to its identity.
ALTER TABLE order_event DROP CONSTRAINT order_event_order_id_fkey;
ALTER TABLE order_event ADD CONSTRAINT order_event_order_id_fkey
  FOREIGN KEY (order_id) REFERENCES pay_order_key(id);
ALTER TABLE refund_order DROP CONSTRAINT refund_order_order_id_fkey;
ALTER TABLE refund_order ADD CONSTRAINT refund_order_order_id_fkey
  FOREIGN KEY (order_id) REFERENCES pay_order_key(id);
ALTER TABLE order_profit DROP CONSTRAINT order_profit_order_id_fkey;
ALTER TABLE order_profit ADD CONSTRAINT order_profit_order_id_fkey
  FOREIGN KEY (order_id) REFERENCES pay_order_key(id);

DROP TRIGGER stats_order_rollup_insert ON pay_order;
DROP TRIGGER stats_order_rollup_update ON pay_order;
ALTER TABLE pay_order RENAME TO pay_order_unpartitioned;
ALTER SEQUENCE pay_order_id_seq OWNED BY NONE;
CREATE TABLE pay_order (LIKE pay_order_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (created_at);
CREATE TABLE pay_order_default PARTITION OF pay_order DEFAULT;
INSERT INTO pay_order SELECT * FROM pay_order_unpartitioned;
DROP TABLE pay_order_unpartitioned;
ALTER SEQUENCE pay_order_id_seq OWNED BY pay_order.id;
ALTER TABLE pay_order ADD PRIMARY KEY (id, created_at);
ALTER TABLE pay_order ADD FOREIGN KEY (id) REFERENCES pay_order_key(id);
ALTER TABLE pay_order ADD FOREIGN KEY (merchant_id) REFERENCES merchant(id);
ALTER TABLE pay_order ADD FOREIGN KEY (product_id) REFERENCES product(id);
ALTER TABLE pay_order ADD FOREIGN KEY (channel_account_id) REFERENCES channel_account(id);
ALTER TABLE pay_order ADD FOREIGN KEY (collect_code_id) REFERENCES collect_code(id);
ALTER TABLE pay_order ADD FOREIGN KEY (created_by_user_id) REFERENCES console_user(id);
ALTER TABLE pay_order ADD FOREIGN KEY (manual_completed_by) REFERENCES console_user(id);

CREATE INDEX pay_order_order_no ON pay_order (order_no);
CREATE INDEX pay_order_app_mch_order_no ON pay_order (app_id, mch_order_no);
CREATE INDEX pay_order_mch_order_no ON pay_order (mch_order_no);
CREATE INDEX pay_order_order_no_suffix ON pay_order (reverse(order_no) text_pattern_ops);
CREATE INDEX pay_order_channel_order_no ON pay_order (channel_order_no);
CREATE INDEX pay_order_created ON pay_order (created_at DESC, id DESC);
CREATE INDEX pay_order_merchant_created ON pay_order (merchant_id, created_at DESC, id DESC);
CREATE INDEX pay_order_state_created ON pay_order (state, created_at DESC, id DESC);
CREATE INDEX pay_order_channel_account_created ON pay_order (channel_account_id, created_at DESC, id DESC);
CREATE INDEX pay_order_created_by ON pay_order (created_by_user_id, created_at DESC)
  WHERE created_by_user_id IS NOT NULL;
CREATE INDEX pay_order_collect_code ON pay_order (collect_code_id, created_at DESC)
  WHERE collect_code_id IS NOT NULL;
CREATE INDEX pay_order_open_expiry ON pay_order (expires_at) WHERE state IN ('created', 'paying');
CREATE INDEX pay_order_next_query ON pay_order (next_query_at) WHERE state = 'paying';
CREATE INDEX pay_order_created_sent ON pay_order (updated_at) WHERE state = 'created';
CREATE INDEX pay_order_paying_created ON pay_order (created_at) WHERE state = 'paying';
CREATE INDEX pay_order_channel_paid ON pay_order (channel_account_id, paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX pay_order_merchant_paid ON pay_order (merchant_id, paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX pay_order_unsettled ON pay_order (merchant_id, paid_at)
  WHERE settled_at IS NULL AND state IN ('paid', 'partially_refunded', 'refunded');

CREATE TRIGGER stats_order_rollup_insert AFTER INSERT ON pay_order
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_order_rollup_insert();
CREATE TRIGGER stats_order_rollup_update AFTER UPDATE ON pay_order
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION stats_order_rollup_update();
