-- Drop-in compatibility for merchants moving from Jeepay or from an 易支付 (epay) site: an app opts in to
-- one of those protocols, and then its requests may be signed with MD5 and a shared key, as theirs
-- were. `protocol` is the API the app speaks: `qingyun` (our signed API only, the default), `jeepay`
-- (/api/pay/*, /api/refund/*) or `epay` (submit.php, mapi.php, api.php). The MD5 key is sealed like
-- the app secret (AES-256-GCM, bound to this row and column) and exists exactly while the app speaks
-- one of the MD5 protocols. `protocol_products` maps the protocol's pay ways (Jeepay wayCodes, epay
-- types) to our product codes: {"ALI_QR": "alipay_qr", …} or {"alipay": "alipay_qr", …}.
-- `epay_pid` is the numeric merchant id (pid) an epay plugin sends, unique across apps.
ALTER TABLE merchant_app
  ADD COLUMN protocol TEXT NOT NULL DEFAULT 'qingyun' CHECK (protocol IN ('qingyun', 'jeepay', 'epay')),
  ADD COLUMN md5_key_enc TEXT,
  ADD COLUMN protocol_products JSONB NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN epay_pid BIGINT UNIQUE,
  ADD CONSTRAINT merchant_app_md5_key CHECK ((protocol = 'qingyun') = (md5_key_enc IS NULL));
