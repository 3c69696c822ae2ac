-- A fund flow (资金流水) lists a merchant's or a member's entries with each account's balance after
-- each one. It was computed by summing every entry the account ever had (a window over its whole
-- history, about 3 s a page at a million entries), so the list slowed down with every payment.
-- Now the accounts a fund flow lists keep their balance on their row (`kept`, src/ledger/types.ts:
-- every guarded account, and the merchant's unguarded ones) and each of their entries stores the
-- balance after it, written under the account's lock with the posting. The agents' and the
-- platform's and channels' accounts are not kept (see ACCOUNT_KINDS): their balance stays the sum
-- of their entries.
--
-- Existing entries get their running balance in id order, as the list computed it, and the kept
-- unguarded accounts the sum of their entries. `qingyun check-ledger` checks both from now on.
-- A node of an older version must not post after this migration (docs/deployment.md § Upgrades).

ALTER TABLE ledger_account ADD COLUMN kept BOOLEAN NOT NULL DEFAULT false;
UPDATE ledger_account SET kept = true
  WHERE guarded OR kind IN ('merchant_settled_by_channel', 'merchant_test_settled', 'platform_receivable');
-- Was CHECK (guarded OR balance = 0).
ALTER TABLE ledger_account DROP CONSTRAINT ledger_account_check1;
UPDATE ledger_account a
  SET balance = COALESCE((SELECT sum(e.amount) FROM ledger_entry e WHERE e.account_id = a.id), 0)
  WHERE kept AND NOT guarded;
ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_unkept_balance CHECK (kept OR balance = 0);
ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_guarded_kept CHECK (kept OR NOT guarded);

ALTER TABLE ledger_entry ADD COLUMN balance_after BIGINT;
UPDATE ledger_entry e SET balance_after = r.running
  FROM (SELECT x.id, x.created_at, sum(x.amount) OVER (PARTITION BY x.account_id ORDER BY x.id) AS running
        FROM ledger_entry x JOIN ledger_account a ON a.id = x.account_id WHERE a.kept) r
  WHERE e.id = r.id AND e.created_at = r.created_at;
