-- An expired order whose channel could not be reached is swept again only after this time,
-- so a channel that is down does not hold up the expiry of every other order.
ALTER TABLE pay_order ADD COLUMN sweep_after TIMESTAMPTZ;
