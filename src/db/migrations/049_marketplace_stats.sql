-- The merchant dashboard's marketplace figures read a merchant's marketplace orders by the time they
-- were paid and its members' transfers by the time they were made, a local day range at a time:
-- without these, each read would walk every marketplace order or transfer the merchant ever had.
CREATE INDEX order_split_terms_merchant_paid ON order_split_terms (merchant_id, paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX member_transfer_merchant_created ON member_transfer (merchant_id, created_at);
