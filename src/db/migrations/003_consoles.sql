-- Consoles: one table of console users for every area (operator, merchant manager/cashier, agent),
-- roles as sets of permissions, sessions with an idle timeout and a CSRF token, the audit log,
-- platform settings, and what the consoles add to orders (who created them, manual completion).

CREATE TABLE console_role (
  id          BIGSERIAL PRIMARY KEY,
  code        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  permissions TEXT[] NOT NULL DEFAULT '{}',
  builtin     BOOLEAN NOT NULL DEFAULT FALSE,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO console_role (code, name, permissions, builtin) VALUES
  ('super_admin', '超级管理员', '{*}', TRUE),
  ('operations', '运营', '{merchant.read,merchant.write,catalog.read,catalog.write,order.read,order.operate,order.test,stats.read}', TRUE),
  ('finance', '财务', '{merchant.read,catalog.read,order.read,order.complete,stats.read,audit.read}', TRUE),
  ('support', '客服', '{merchant.read,catalog.read,order.read,order.operate}', TRUE),
  ('read_only', '只读', '{merchant.read,catalog.read,order.read,stats.read,operator.read,audit.read}', TRUE);

CREATE TABLE console_user (
  id                   BIGSERIAL PRIMARY KEY,
  area                 TEXT NOT NULL CHECK (area IN ('operator', 'merchant', 'agent')),
  username             TEXT NOT NULL,
  password_hash        TEXT NOT NULL,
  display_name         TEXT NOT NULL DEFAULT '',
  email                TEXT NOT NULL DEFAULT '',
  enabled              BOOLEAN NOT NULL DEFAULT TRUE,
  role_id              BIGINT REFERENCES console_role(id),        -- operators
  merchant_id          BIGINT REFERENCES merchant(id),            -- merchant users
  merchant_role        TEXT CHECK (merchant_role IN ('manager', 'cashier')),
  agent_id             BIGINT,                                     -- agent users (agents arrive later)
  totp_secret_enc      TEXT,                                       -- encrypted; set when enrolment starts
  totp_enabled         BOOLEAN NOT NULL DEFAULT FALSE,
  totp_last_step       BIGINT NOT NULL DEFAULT 0,                  -- a code is accepted once (no replay)
  recovery_code_hashes TEXT[] NOT NULL DEFAULT '{}',
  must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
  failed_logins        INTEGER NOT NULL DEFAULT 0,
  locked_until         TIMESTAMPTZ,
  reset_code_hash      TEXT,
  reset_code_expires   TIMESTAMPTZ,
  reset_code_attempts  INTEGER NOT NULL DEFAULT 0,
  created_by           BIGINT REFERENCES console_user(id),
  last_login_at        TIMESTAMPTZ,
  last_login_ip        TEXT,
  created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (area, username),
  CHECK (area <> 'operator' OR role_id IS NOT NULL),
  CHECK (area <> 'merchant' OR (merchant_id IS NOT NULL AND merchant_role IS NOT NULL))
);
CREATE INDEX console_user_merchant ON console_user (merchant_id) WHERE merchant_id IS NOT NULL;

-- Operators of the spine become super admins who must enrol TOTP at their next login.
INSERT INTO console_user (area, username, password_hash, display_name, enabled, role_id, created_at)
SELECT 'operator', o.username, o.password_hash, o.display_name, o.enabled,
       (SELECT id FROM console_role WHERE code = 'super_admin'), o.created_at
FROM operator o;

DROP TABLE operator_session;
DROP TABLE operator;

CREATE TABLE console_session (
  id           TEXT PRIMARY KEY,               -- sha256 of the cookie token; the token is never stored
  user_id      BIGINT NOT NULL REFERENCES console_user(id),
  stage        TEXT NOT NULL CHECK (stage IN ('totp', 'password_change', 'totp_enrol', 'active')),
  csrf_token   TEXT NOT NULL,
  ip           TEXT NOT NULL DEFAULT '',
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at   TIMESTAMPTZ NOT NULL             -- absolute end; the idle timeout is on last_seen_at
);
CREATE INDEX console_session_user ON console_session (user_id);

CREATE TABLE audit_log (
  id          BIGSERIAL PRIMARY KEY,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  actor_area  TEXT NOT NULL,
  actor_id    BIGINT,
  actor_name  TEXT NOT NULL,
  ip          TEXT NOT NULL DEFAULT '',
  action      TEXT NOT NULL,                    -- e.g. 'PATCH /api/admin/merchants/:mchNo' or 'auth.login'
  target_type TEXT NOT NULL DEFAULT '',
  target_id   TEXT NOT NULL DEFAULT '',
  status      INTEGER NOT NULL DEFAULT 200,
  before      JSONB,
  after       JSONB
);
CREATE INDEX audit_log_created ON audit_log (created_at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_area, actor_id, created_at DESC);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);

CREATE TABLE platform_setting (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Merchants can wait for review (opened by an agent or awaiting documents) or be rejected.
ALTER TABLE merchant DROP CONSTRAINT merchant_state_check;
ALTER TABLE merchant ADD CONSTRAINT merchant_state_check
  CHECK (state IN ('pending', 'enabled', 'disabled', 'rejected'));
ALTER TABLE merchant ADD COLUMN review_remark TEXT NOT NULL DEFAULT '';

-- Who placed an order from a console (cashier collect, operator test page) and manual completion.
ALTER TABLE pay_order ADD COLUMN source TEXT NOT NULL DEFAULT 'api'
  CHECK (source IN ('api', 'portal', 'console_test', 'static_qr'));
ALTER TABLE pay_order ADD COLUMN created_by_user_id BIGINT REFERENCES console_user(id);
ALTER TABLE pay_order ADD COLUMN test BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE pay_order ADD COLUMN manual_completed_by BIGINT REFERENCES console_user(id);
ALTER TABLE pay_order ADD COLUMN manual_completed_at TIMESTAMPTZ;
ALTER TABLE pay_order ADD COLUMN manual_completion_remark TEXT;
CREATE INDEX pay_order_created_by ON pay_order (created_by_user_id, created_at DESC) WHERE created_by_user_id IS NOT NULL;
CREATE INDEX pay_order_created ON pay_order (created_at DESC);
