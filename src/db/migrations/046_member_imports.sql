-- Batch import of marketplace members and their bank cards (issue 17): a merchant uploads a file for
-- one of its apps, every row is checked at once (nothing is created then), an operator approves or
-- rejects the batch, and the worker opens the approved rows' members one row at a time. Each row
-- keeps its outcome, so the result file (回盘文件) can be written at any time.

CREATE SEQUENCE member_import_batch_no_seq;

CREATE TABLE member_import_batch (
  id              BIGSERIAL PRIMARY KEY,
  batch_no        TEXT NOT NULL UNIQUE,
  merchant_id     BIGINT NOT NULL REFERENCES merchant(id),
  app_id          BIGINT NOT NULL REFERENCES merchant_app(id),
  file_name       TEXT NOT NULL,
  file_format     TEXT NOT NULL CHECK (file_format IN ('csv', 'xlsx')),
  -- draft (checked, not yet sent) → pending_review → rejected | processing → completed.
  state           TEXT NOT NULL DEFAULT 'draft'
                    CHECK (state IN ('draft', 'pending_review', 'rejected', 'processing', 'completed')),
  total_rows      INT NOT NULL,
  valid_rows      INT NOT NULL,
  processed_rows  INT NOT NULL DEFAULT 0,
  created_rows    INT NOT NULL DEFAULT 0,
  failed_rows     INT NOT NULL DEFAULT 0,
  uploaded_by     BIGINT,
  submitted_at    TIMESTAMPTZ,
  reviewed_by     BIGINT,
  reviewed_at     TIMESTAMPTZ,
  reject_reason   TEXT,
  completed_at    TIMESTAMPTZ,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX member_import_batch_merchant ON member_import_batch (merchant_id, id DESC);
CREATE INDEX member_import_batch_state ON member_import_batch (state, id DESC);

CREATE TABLE member_import_row (
  id                 BIGSERIAL PRIMARY KEY,
  batch_id           BIGINT NOT NULL REFERENCES member_import_batch(id),
  line_no            INT NOT NULL,
  biz_user_id        TEXT NOT NULL,
  member_type        TEXT NOT NULL,
  name               TEXT NOT NULL,
  phone              TEXT NOT NULL,
  -- The ID number and the card number sealed to this row as the members domain seals its own; the
  -- last four kept for the reports.
  id_no_enc          TEXT,
  id_no_last4        TEXT,
  legal_person_name  TEXT NOT NULL,
  card_no_enc        TEXT,
  card_last4         TEXT,
  bank_name          TEXT NOT NULL,
  bank_branch        TEXT NOT NULL,
  card_phone         TEXT NOT NULL,
  -- The checks' findings at upload: [{field, code}], empty when the row is good.
  problems           JSONB NOT NULL DEFAULT '[]',
  -- invalid (refused at upload) | pending (waiting for the worker) | created | failed.
  outcome            TEXT NOT NULL CHECK (outcome IN ('invalid', 'pending', 'created', 'failed')),
  error_code         TEXT,
  error_message      TEXT,
  member_id          BIGINT REFERENCES member(id),
  member_no          TEXT,
  processed_at       TIMESTAMPTZ,
  UNIQUE (batch_id, line_no)
);
CREATE INDEX member_import_row_pending ON member_import_row (batch_id, line_no) WHERE outcome = 'pending';
