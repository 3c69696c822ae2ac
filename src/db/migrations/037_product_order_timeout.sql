-- A product's default order timeout (支付配置): how long a new order of the product stays payable when
-- the merchant does not say (expireSeconds). NULL: the platform's 30 minutes. Pay-code orders keep
-- their 2 minutes. Changing it changes new orders only: an order keeps the expiry it was created with.
ALTER TABLE product ADD COLUMN expire_seconds INT
  CHECK (expire_seconds IS NULL OR expire_seconds BETWEEN 60 AND 86400);
