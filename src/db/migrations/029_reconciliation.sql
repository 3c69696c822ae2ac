-- Reconciliation against channel statements (对账). One batch per channel account and business
-- day: the statement file kept (gzip) with its sha256, its lines staged in recon_line, and one
-- recon_item per discrepancy (matches are counted on the batch). A re-run replaces the batch's
-- lines and items and keeps the resolutions of the items that are found again.

-- The sandbox channel (another party, migration 008) keeps how each merchant's statements are
-- written: the fee rate it reports and the statement faults a tester injects.
ALTER TABLE sandbox_merchant ADD COLUMN statement_settings JSONB NOT NULL DEFAULT '{}';

CREATE TABLE recon_batch (
  id                      BIGSERIAL PRIMARY KEY,
  channel_account_id      BIGINT NOT NULL REFERENCES channel_account(id),
  business_day            DATE NOT NULL,
  -- running: claimed by one worker or operator; a run older than the claim's lease may be taken over.
  state                   TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
  source                  TEXT NOT NULL CHECK (source IN ('fetched', 'uploaded')),
  -- Runs so far; every item of the current run carries it, older ones are removed at its end.
  run_no                  INTEGER NOT NULL DEFAULT 1,
  file_name               TEXT,
  file_gz                 BYTEA,
  file_sha256             TEXT,
  file_bytes              INTEGER,
  line_count              INTEGER NOT NULL DEFAULT 0,
  -- The channel's side (its successful lines) and ours (paid orders and succeeded refunds of the day).
  channel_payment_count   INTEGER NOT NULL DEFAULT 0,
  channel_payment_amount  BIGINT NOT NULL DEFAULT 0,
  channel_refund_count    INTEGER NOT NULL DEFAULT 0,
  channel_refund_amount   BIGINT NOT NULL DEFAULT 0,
  channel_fee             BIGINT,
  platform_payment_count  INTEGER NOT NULL DEFAULT 0,
  platform_payment_amount BIGINT NOT NULL DEFAULT 0,
  platform_refund_count   INTEGER NOT NULL DEFAULT 0,
  platform_refund_amount  BIGINT NOT NULL DEFAULT 0,
  platform_cost           BIGINT NOT NULL DEFAULT 0,
  -- Per class: lines (or our records) and the amounts they carry (the channel's, ours for platform_only).
  matched_count           INTEGER NOT NULL DEFAULT 0,
  matched_amount          BIGINT NOT NULL DEFAULT 0,
  matched_refund_count    INTEGER NOT NULL DEFAULT 0,
  matched_refund_amount   BIGINT NOT NULL DEFAULT 0,
  platform_only_count     INTEGER NOT NULL DEFAULT 0,
  platform_only_amount    BIGINT NOT NULL DEFAULT 0,
  channel_only_count      INTEGER NOT NULL DEFAULT 0,
  channel_only_amount     BIGINT NOT NULL DEFAULT 0,
  amount_mismatch_count   INTEGER NOT NULL DEFAULT 0,
  amount_mismatch_amount  BIGINT NOT NULL DEFAULT 0,
  status_mismatch_count   INTEGER NOT NULL DEFAULT 0,
  status_mismatch_amount  BIGINT NOT NULL DEFAULT 0,
  fee_mismatch_count      INTEGER NOT NULL DEFAULT 0,
  fee_mismatch_amount     BIGINT NOT NULL DEFAULT 0,
  -- Lines the channel reports unsuccessful that we did not record as paid either: no discrepancy.
  ignored_count           INTEGER NOT NULL DEFAULT 0,
  -- Our records near midnight waiting for a later day's statement (carried out of this day), and
  -- earlier days' waiting records this day's statement settled (carried in and matched).
  carried_out_count       INTEGER NOT NULL DEFAULT 0,
  carried_in_matched      INTEGER NOT NULL DEFAULT 0,
  -- The file's own totals (its footer), when its format has them, and whether its lines add up to them.
  file_payment_count      INTEGER,
  file_payment_amount     BIGINT,
  file_refund_count       INTEGER,
  file_refund_amount      BIGINT,
  file_fee                BIGINT,
  totals_tie_out          BOOLEAN,
  failure                 TEXT,
  started_by              BIGINT REFERENCES console_user(id),
  started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at             TIMESTAMPTZ,
  created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (channel_account_id, business_day)
);
CREATE INDEX recon_batch_day ON recon_batch (business_day DESC, id DESC);

-- The staged statement lines of a batch, classified in place by the matching statement.
CREATE TABLE recon_line (
  batch_id          BIGINT NOT NULL REFERENCES recon_batch(id) ON DELETE CASCADE,
  line_no           INTEGER NOT NULL,
  kind              TEXT NOT NULL CHECK (kind IN ('payment', 'refund')),
  order_no          TEXT NOT NULL,
  channel_trade_no  TEXT,
  refund_no         TEXT,
  amount            BIGINT NOT NULL,
  fee               BIGINT,
  status            TEXT NOT NULL CHECK (status IN ('success', 'failed', 'closed', 'processing')),
  booked_at         TIMESTAMPTZ NOT NULL,
  -- Set by the matching: the class, our order or refund, and which line of the same number this is
  -- (a number listed twice: the second is a line we cannot account for).
  class             TEXT,
  order_id          BIGINT,
  refund_id         BIGINT,
  occurrence        INTEGER,
  PRIMARY KEY (batch_id, line_no)
);
-- Whether any batch of the account already matched one of our records (the channel booked it on
-- another day): such a record is no discrepancy of the day we booked it.
CREATE INDEX recon_line_order ON recon_line (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX recon_line_refund ON recon_line (refund_id) WHERE refund_id IS NOT NULL;

CREATE TABLE recon_item (
  id                BIGSERIAL PRIMARY KEY,
  batch_id          BIGINT NOT NULL REFERENCES recon_batch(id),
  channel_account_id BIGINT NOT NULL,
  business_day      DATE NOT NULL,
  run_no            INTEGER NOT NULL,
  -- class:kind:number, the same on every run that finds the same discrepancy (resolutions follow it).
  item_key          TEXT NOT NULL,
  -- `carried`: our record near midnight waiting for a later statement; not a discrepancy while
  -- carry_state is waiting (see docs/architecture.md, Reconciliation).
  class             TEXT NOT NULL CHECK (class IN ('platform_only', 'channel_only', 'amount_mismatch',
                                                    'status_mismatch', 'fee_mismatch', 'carried')),
  kind              TEXT NOT NULL CHECK (kind IN ('payment', 'refund')),
  order_id          BIGINT,
  order_no          TEXT,
  refund_id         BIGINT,
  refund_no         TEXT,
  channel_trade_no  TEXT,
  our_amount        BIGINT,
  our_state         TEXT,
  our_fee           BIGINT,
  our_at            TIMESTAMPTZ,
  channel_amount    BIGINT,
  channel_status    TEXT,
  channel_fee       BIGINT,
  channel_at        TIMESTAMPTZ,
  -- On a platform_only found after the carry ran out: the day the record was paid or refunded.
  carried_from_day  DATE,
  -- On a carried item: waiting, matched (a later statement had it) or flagged (it ran out), and the
  -- batch that decided it.
  carry_state       TEXT CHECK (carry_state IN ('waiting', 'matched', 'flagged')),
  carry_settled_batch_id BIGINT REFERENCES recon_batch(id),
  resolution        TEXT NOT NULL DEFAULT 'open' CHECK (resolution IN ('open', 'resolved')),
  resolution_note   TEXT,
  resolved_by       BIGINT REFERENCES console_user(id),
  resolved_at       TIMESTAMPTZ,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (batch_id, item_key),
  CHECK ((class = 'carried') = (carry_state IS NOT NULL))
);
CREATE INDEX recon_item_batch_class ON recon_item (batch_id, class, id);
CREATE INDEX recon_item_carry ON recon_item (channel_account_id, business_day) WHERE carry_state = 'waiting';
CREATE INDEX recon_item_carry_settled ON recon_item (carry_settled_batch_id) WHERE carry_settled_batch_id IS NOT NULL;

-- Our side of a day: the account's refunds that succeeded within it (paid orders have theirs, 001).
CREATE INDEX refund_order_channel_succeeded ON refund_order (channel_account_id, succeeded_at)
  WHERE succeeded_at IS NOT NULL;

-- Operators' permissions: the finance role reads and operates reconciliation, read-only reads it.
UPDATE console_role SET permissions = permissions || '{reconciliation.read,reconciliation.operate}'::text[]
  WHERE code = 'finance' AND NOT 'reconciliation.read' = ANY(permissions);
UPDATE console_role SET permissions = array_append(permissions, 'reconciliation.read')
  WHERE code = 'read_only' AND NOT 'reconciliation.read' = ANY(permissions);
