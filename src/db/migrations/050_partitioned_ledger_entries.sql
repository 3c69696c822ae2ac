-- Ledger entries, the one table every payment, refund, settlement and payout appends to, partitioned
-- by month of created_at (UTC months) like the history tables of migration 048: recent entries stay
-- in small recent partitions and their indexes, and an old month can be moved to cheaper storage
-- (ALTER TABLE … SET TABLESPACE) without touching the rest. Unlike the history they are never
-- archived or dropped: every balance is derived from them (`qingyun check-ledger`), and the books are
-- kept as long as accounting records must be. src/db/partitions.ts creates the months.
--
-- Rebuilt under its own name as in 048: renamed, copied into the partitioned table, dropped. The id
-- sequence carries on; the primary key gains created_at, as partitioning requires.

ALTER TABLE ledger_entry RENAME TO ledger_entry_unpartitioned;
ALTER SEQUENCE ledger_entry_id_seq OWNED BY NONE;
CREATE TABLE ledger_entry (LIKE ledger_entry_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (created_at);
CREATE TABLE ledger_entry_default PARTITION OF ledger_entry DEFAULT;
INSERT INTO ledger_entry SELECT * FROM ledger_entry_unpartitioned;
DROP TABLE ledger_entry_unpartitioned;
ALTER SEQUENCE ledger_entry_id_seq OWNED BY ledger_entry.id;
ALTER TABLE ledger_entry ADD PRIMARY KEY (id, created_at);
ALTER TABLE ledger_entry ADD FOREIGN KEY (txn_id) REFERENCES ledger_txn(id);
ALTER TABLE ledger_entry ADD FOREIGN KEY (account_id) REFERENCES ledger_account(id);
CREATE INDEX ledger_entry_txn ON ledger_entry (txn_id);
CREATE INDEX ledger_entry_account ON ledger_entry (account_id, id);
CREATE INDEX ledger_entry_created ON ledger_entry (created_at);
