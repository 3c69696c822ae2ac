-- Fee floor: at 0.6 % an order of 83 fen or less paid no fee at all, while channels charge
-- per order too. Each rate gains a fixed per-order part and a minimum, in minor units:
-- fee = max(minimum, roundHalfUp(amount × ppm) + fixed), never above the order amount (fees/fee.ts).
-- 0 for both is the fee as before.

-- The product's default terms, copied to a merchant's rate when none is given.
ALTER TABLE product ADD COLUMN default_fixed_fee BIGINT NOT NULL DEFAULT 0 CHECK (default_fixed_fee >= 0);
ALTER TABLE product ADD COLUMN default_minimum_fee BIGINT NOT NULL DEFAULT 0 CHECK (default_minimum_fee >= 0);

-- What a merchant pays per order of the product.
ALTER TABLE merchant_product ADD COLUMN fixed_fee BIGINT NOT NULL DEFAULT 0 CHECK (fixed_fee >= 0);
ALTER TABLE merchant_product ADD COLUMN minimum_fee BIGINT NOT NULL DEFAULT 0 CHECK (minimum_fee >= 0);

-- What the channel account charges per order; each part may not exceed the merchants' (the rate rule).
ALTER TABLE channel_account_rate ADD COLUMN fixed_cost BIGINT NOT NULL DEFAULT 0 CHECK (fixed_cost >= 0);
ALTER TABLE channel_account_rate ADD COLUMN minimum_cost BIGINT NOT NULL DEFAULT 0 CHECK (minimum_cost >= 0);

-- The merchant's credit for an order (amount - fee) is never negative.
ALTER TABLE pay_order ADD CONSTRAINT pay_order_fee_within_amount CHECK (fee <= amount);
