-- The consoles find an order or a refund by the last digits of its number (read off a phone or a
-- receipt): `q` of at least 4 digits matches the end of the platform number. A suffix is the prefix
-- of the reversed number, which a btree with text_pattern_ops serves for `LIKE 'digits%'` in any
-- collation; without these every such search reads the whole table.
CREATE INDEX pay_order_order_no_suffix ON pay_order (reverse(order_no) text_pattern_ops);
CREATE INDEX refund_order_refund_no_suffix ON refund_order (reverse(refund_no) text_pattern_ops);
CREATE INDEX refund_order_order_no_suffix ON refund_order (reverse(order_no) text_pattern_ops);
