-- The recycle bin (回收站, OP-12). Deleting a merchant, app, product, channel, channel account,
-- collect code or console login sets deleted_at / deleted_by: the row stops working at once and the
-- lists hide it, and restore clears both, so the row comes back exactly as it was (its state, keys
-- and settings were never touched). A row is removed for good only by a purge, after the retention
-- (the `recycle.retentionDays` setting) or on a super admin's demand, and never while money refers
-- to it (orders, ledger entries, withdrawals, payouts): such a row stays deleted and hidden.
-- deleted_by is the console login that deleted the row; not a foreign key, so purging that login later
-- leaves the bin's record of who deleted what.
ALTER TABLE merchant ADD COLUMN deleted_at TIMESTAMPTZ;
ALTER TABLE merchant ADD COLUMN deleted_by BIGINT;
ALTER TABLE merchant_app ADD COLUMN deleted_at TIMESTAMPTZ;
ALTER TABLE merchant_app ADD COLUMN deleted_by BIGINT;
ALTER TABLE product ADD COLUMN deleted_at TIMESTAMPTZ;
ALTER TABLE product ADD COLUMN deleted_by BIGINT;
ALTER TABLE channel ADD COLUMN deleted_at TIMESTAMPTZ;
ALTER TABLE channel ADD COLUMN deleted_by BIGINT;
ALTER TABLE channel_account ADD COLUMN deleted_at TIMESTAMPTZ;
ALTER TABLE channel_account ADD COLUMN deleted_by BIGINT;
ALTER TABLE collect_code ADD COLUMN deleted_at TIMESTAMPTZ;
ALTER TABLE collect_code ADD COLUMN deleted_by BIGINT;
ALTER TABLE console_user ADD COLUMN deleted_at TIMESTAMPTZ;
ALTER TABLE console_user ADD COLUMN deleted_by BIGINT;

-- The bin and the purge job read only deleted rows.
CREATE INDEX merchant_deleted ON merchant (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX merchant_app_deleted ON merchant_app (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX product_deleted ON product (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX channel_deleted ON channel (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX channel_account_deleted ON channel_account (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX collect_code_deleted ON collect_code (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX console_user_deleted ON console_user (deleted_at) WHERE deleted_at IS NOT NULL;

-- Operations staff see the bin and restore from it; purging stays with super admins.
UPDATE console_role SET permissions = permissions || '{recycle.read,recycle.restore}'::text[]
WHERE code = 'operations' AND builtin;
