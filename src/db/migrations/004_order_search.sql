-- The consoles find an order by any of its numbers (docs/console-api.md, OP-7). The platform number
-- and the channel's are indexed already; the merchant's is unique only per app, (app_id,
-- mch_order_no), which cannot serve a search without the app. Without this, every search by a
-- merchant order number reads the whole table.
CREATE INDEX pay_order_mch_order_no ON pay_order (mch_order_no);
