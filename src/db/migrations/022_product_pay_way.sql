-- A product's pay way (Jeepay's way codes): which of a wallet's methods its orders use at the channel.
-- Routing sends an order only to accounts whose adapter serves the way. Products made before pay ways
-- were sandbox products, which the sandbox serves in any way; they read as Alipay QR.
ALTER TABLE product ADD COLUMN pay_way TEXT NOT NULL DEFAULT 'ALI_QR'
  CHECK (pay_way IN ('ALI_QR', 'ALI_WAP', 'ALI_PC', 'ALI_BAR', 'WX_NATIVE', 'WX_H5', 'WX_JSAPI', 'WX_BAR'));
