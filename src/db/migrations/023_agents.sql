-- Agents (代理商): a tree of agents, each with its rates per product, and each merchant's direct
-- agent. `path` holds the ids from the top-level agent down to the agent itself, so a subtree is one
-- indexed query (`path @> ARRAY[id]`) and the depth is its length (1 = top level). The deepest level
-- allowed is the platform setting `agents.maxDepth` (default 3), checked by the agents domain.
CREATE TABLE agent (
  id         BIGSERIAL PRIMARY KEY,
  agent_no   TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  contact    TEXT NOT NULL DEFAULT '',
  phone      TEXT NOT NULL DEFAULT '',
  email      TEXT NOT NULL DEFAULT '',
  parent_id  BIGINT REFERENCES agent(id),
  path       BIGINT[] NOT NULL,
  depth      INTEGER NOT NULL CHECK (depth >= 1),
  state      TEXT NOT NULL DEFAULT 'enabled' CHECK (state IN ('enabled', 'disabled')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (depth = cardinality(path)),
  CHECK ((parent_id IS NULL) = (depth = 1))
);
CREATE INDEX agent_path_idx ON agent USING GIN (path);
CREATE INDEX agent_parent_idx ON agent (parent_id);

-- An agent's terms for a product: the same shape as a merchant's (merchant_product).
CREATE TABLE agent_product_rate (
  agent_id    BIGINT NOT NULL REFERENCES agent(id),
  product_id  BIGINT NOT NULL REFERENCES product(id),
  rate_ppm    INTEGER NOT NULL CHECK (rate_ppm BETWEEN 0 AND 1000000),
  fixed_fee   BIGINT NOT NULL DEFAULT 0 CHECK (fixed_fee >= 0),
  minimum_fee BIGINT NOT NULL DEFAULT 0 CHECK (minimum_fee >= 0),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, product_id)
);
CREATE INDEX agent_product_rate_product_idx ON agent_product_rate (product_id);

-- The merchant's direct agent (none: the platform's own merchant).
ALTER TABLE merchant ADD COLUMN agent_id BIGINT REFERENCES agent(id);
CREATE INDEX merchant_agent_idx ON merchant (agent_id) WHERE agent_id IS NOT NULL;

ALTER TABLE console_user ADD CONSTRAINT console_user_agent_fk FOREIGN KEY (agent_id) REFERENCES agent(id);

-- Operators' permissions over agents: operations manage them, read-only and finance read them.
UPDATE console_role SET permissions = permissions || '{agents.read,agents.manage}'::text[]
  WHERE code = 'operations' AND NOT 'agents.read' = ANY(permissions);
UPDATE console_role SET permissions = array_append(permissions, 'agents.read')
  WHERE code IN ('read_only', 'finance') AND NOT 'agents.read' = ANY(permissions);
