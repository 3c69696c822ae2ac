-- Settlement terms per merchant (MON-2). A merchant without a row has the platform's defaults
-- (settings: settlement.defaultTerms). `platform`: the platform (a licensed operator) holds the
-- funds: balances, withdrawals, payouts. `direct`: the channel settles straight to the merchant
-- (its sub-merchant); the platform records and books its margin as a receivable.
CREATE TABLE settlement_terms (
  merchant_id     BIGINT PRIMARY KEY REFERENCES merchant(id),
  mode            TEXT NOT NULL DEFAULT 'platform' CHECK (mode IN ('platform', 'direct')),
  cycle           TEXT NOT NULL DEFAULT 'D1' CHECK (cycle IN ('D0', 'D1', 'T1', 'TN')),
  -- D0: the part settled at once, in ppm of the net (the rest settles D1); 1 000 000 = all.
  d0_ppm          INTEGER NOT NULL DEFAULT 1000000 CHECK (d0_ppm BETWEEN 0 AND 1000000),
  -- TN: business days after the paid day.
  tn_days         INTEGER NOT NULL DEFAULT 1 CHECK (tn_days BETWEEN 1 AND 30),
  -- Risk reserve (风险预留): the part of each settlement held, and for how many days.
  reserve_ppm     INTEGER NOT NULL DEFAULT 0 CHECK (reserve_ppm BETWEEN 0 AND 1000000),
  reserve_days    INTEGER NOT NULL DEFAULT 0 CHECK (reserve_days BETWEEN 0 AND 365),
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
