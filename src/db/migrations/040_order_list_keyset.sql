-- The consoles' order lists page by keyset (created_at, id) and count their matches only up to a
-- bound (orders/queries.ts listOrders, countOrdersUpTo). Each index below lets a first page, a page
-- after a cursor and the bounded count walk the newest matching rows in list order and stop, at
-- any table size, for the filters people use most: none, one merchant, one state, one channel
-- account. Ties on created_at are broken by id, so id is in every key.
DROP INDEX IF EXISTS pay_order_created;
CREATE INDEX pay_order_created ON pay_order (created_at DESC, id DESC);
DROP INDEX IF EXISTS pay_order_merchant_created;
CREATE INDEX pay_order_merchant_created ON pay_order (merchant_id, created_at DESC, id DESC);
CREATE INDEX pay_order_state_created ON pay_order (state, created_at DESC, id DESC);
CREATE INDEX pay_order_channel_account_created ON pay_order (channel_account_id, created_at DESC, id DESC);
