-- The sandbox channel is a test channel, and the in-process sandbox remembers.
--
-- Channel accounts of a test channel (the sandbox) are test accounts; an order they take is a
-- test order (pay_order.test, already left out of statistics), which settlement must skip too.
ALTER TABLE channel_account ADD COLUMN test_account BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE channel_account SET test_account = TRUE
  WHERE channel_id IN (SELECT id FROM channel WHERE adapter_code = 'sandbox');
UPDATE pay_order SET test = TRUE
  WHERE NOT test AND channel_account_id IN (SELECT id FROM channel_account WHERE test_account);
-- In production a product is bound to a test account only when an operator said so explicitly.
ALTER TABLE product_binding ADD COLUMN test_account_allowed BOOLEAN NOT NULL DEFAULT FALSE;

-- The in-process sandbox's own records (it is another party: only channels/sandbox/queries.ts
-- touches these). Its merchants' keys are random and sealed under the master key.
CREATE TABLE sandbox_merchant (
  mch_id      TEXT PRIMARY KEY,
  key_enc     TEXT NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per payment; the record (status, refunds, …) is a document the sandbox owns. `version`
-- makes every change a compare-and-set, so two nodes or two payers cannot both change one payment.
CREATE TABLE sandbox_payment (
  trade_no     TEXT PRIMARY KEY,
  mch_id       TEXT NOT NULL,
  out_trade_no TEXT NOT NULL,
  version      INT NOT NULL DEFAULT 0,
  record       JSONB NOT NULL,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (mch_id, out_trade_no)
);

-- Notifies not yet acknowledged: written with the change they announce, deleted on acknowledgement
-- or when the retries run out, and picked up again after a restart.
CREATE TABLE sandbox_notify (
  id          TEXT PRIMARY KEY,
  trade_no    TEXT NOT NULL,
  notify_url  TEXT NOT NULL,
  form        TEXT NOT NULL,
  attempt     INT NOT NULL DEFAULT 0,
  due_at      TIMESTAMPTZ NOT NULL
);
