-- Static merchant QR codes (PAY-8, MP-6): a fixed code per store counter or cashier that points at
-- /pay/{code}; the payer types the amount and picks a method; the order is attributed to the code
-- (and to its cashier, who then sees it among their own orders).
CREATE TABLE collect_code (
  id                 BIGSERIAL PRIMARY KEY,
  code               TEXT NOT NULL UNIQUE,        -- random, unguessable; the URL's last segment
  merchant_id        BIGINT NOT NULL REFERENCES merchant(id),
  app_id             TEXT NOT NULL,               -- whose keys and notify URL the orders use
  name               TEXT NOT NULL,               -- the store or counter the payer sees
  cashier_user_id    BIGINT REFERENCES console_user(id),
  product_codes      TEXT[] NOT NULL,             -- the methods the payer may pick, in display order
  enabled            BOOLEAN NOT NULL DEFAULT TRUE,
  created_by_user_id BIGINT REFERENCES console_user(id),
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (cardinality(product_codes) BETWEEN 1 AND 16),
  CHECK (char_length(name) BETWEEN 1 AND 64)
);
CREATE INDEX collect_code_merchant ON collect_code (merchant_id, id DESC);
-- A cashier's own codes (the portal shows a cashier only the codes assigned to it).
CREATE INDEX collect_code_cashier ON collect_code (cashier_user_id, id DESC) WHERE cashier_user_id IS NOT NULL;

ALTER TABLE pay_order ADD COLUMN collect_code_id BIGINT REFERENCES collect_code(id);
CREATE INDEX pay_order_collect_code ON pay_order (collect_code_id, created_at DESC) WHERE collect_code_id IS NOT NULL;
