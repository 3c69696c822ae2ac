-- The hashes of a console user's recent passwords (PCI DSS 8.3.7: a new password may not be any of
-- the last four). The current password is the newest row; older rows beyond four are deleted as new
-- ones arrive. Users created before this migration have no rows yet: their current hash is still
-- compared, from console_user.
CREATE TABLE console_password_history (
  id            BIGSERIAL PRIMARY KEY,
  user_id       BIGINT NOT NULL REFERENCES console_user(id),
  password_hash TEXT NOT NULL,                 -- argon2id, like console_user.password_hash
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX console_password_history_user ON console_password_history (user_id, id DESC);
