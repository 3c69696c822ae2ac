-- Orders stranded in `created`: the channel accepted them but writing that acceptance failed.
-- The order-query job finds created orders whose channel call is long overdue by updated_at (while
-- an order is created, the time it was last sent to a channel account: insert or failover).
-- Created orders are short-lived, so this index stays small.
CREATE INDEX pay_order_created_sent ON pay_order (updated_at) WHERE state = 'created';
