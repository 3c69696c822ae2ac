-- Members (MON-9), part two: transfers between two members of one app (member_available →
-- member_available, one ledger posting), and the sequence of member numbers.

-- 'M' + 10 digits: our number of a member, unique across the platform.
CREATE SEQUENCE member_no_seq;

CREATE TABLE member_transfer (
  id               BIGSERIAL PRIMARY KEY,
  -- Our number: 'MT' + yyMMddHHmmss (Beijing time) + 8 digits of the sequence.
  transfer_no      TEXT NOT NULL UNIQUE,
  merchant_id      BIGINT NOT NULL REFERENCES merchant(id),
  app_id           BIGINT NOT NULL REFERENCES merchant_app(id),
  -- The merchant's own number: a retry with it returns the same transfer and posts nothing more.
  mch_transfer_no  TEXT NOT NULL,
  request_hash     TEXT NOT NULL,
  from_member_id   BIGINT NOT NULL REFERENCES member(id),
  to_member_id     BIGINT NOT NULL REFERENCES member(id),
  amount           BIGINT NOT NULL CHECK (amount > 0),
  currency         TEXT NOT NULL DEFAULT 'CNY',
  remark           TEXT,
  -- A transfer is one posting in the transaction that records it: it exists only once it succeeded.
  state            TEXT NOT NULL DEFAULT 'succeeded' CHECK (state IN ('succeeded')),
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (app_id, mch_transfer_no),
  CHECK (from_member_id <> to_member_id)
);
CREATE SEQUENCE member_transfer_no_seq;
CREATE INDEX member_transfer_merchant ON member_transfer (merchant_id, id DESC);
CREATE INDEX member_transfer_from ON member_transfer (from_member_id, id DESC);
CREATE INDEX member_transfer_to ON member_transfer (to_member_id, id DESC);
